import Foundation
import TollgateFormats

/// Whether an endpoint gets deliveries.
public enum WebhookEndpointStatus: String, APIEnum {
    case enabled
    /// Disabled by a person (`PATCH … {"enabled": false}`) or by the server after every attempt of
    /// a delivery failed (``WebhookRetrySchedule``); events that happen meanwhile are not kept for it.
    case disabled
}

/// A receiver of the account's events: its URL, the events it wants and whether it is enabled.
/// Its signing secrets are kept apart, sealed (`webhook_secrets`), and shown once.
public struct WebhookEndpoint: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    /// An `http` or `https` URL.
    public var url: String
    /// The event types it is sent (``EventTypeFilter``: a type, a prefix `license.*`, or `*`).
    public var eventTypes: [String]
    public var description: String
    public var status: WebhookEndpointStatus
    /// Why it is disabled (a person, or the failures that disabled it); `nil` while enabled.
    public var disabledReason: String?
    /// The account's event sequence when the endpoint was made: it gets the events after it.
    public var startSequence: Int64
    public var createdAt: Date
    public var updatedAt: Date

    /// Whether an event of `type` goes to this endpoint (enabled or not).
    public func wants(_ type: String) -> Bool {
        eventTypes.contains { EventTypeFilter($0)?.matches(type) ?? false }
    }
}

/// `POST /v1/webhook-endpoints`.
public struct WebhookEndpointDraft: Codable, Sendable, Equatable {
    public var url: String
    public var eventTypes: [String]?
    public var description: String?

    public static let fields: Set<String> = ["url", "eventTypes", "description"]
    /// At most this many event type filters per endpoint.
    public static let maximumEventTypes = 100

    public init(url: String, eventTypes: [String]? = nil, description: String? = nil) {
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
    }

    /// Checks the rules and builds the endpoint, enabled, for every event unless `eventTypes` says,
    /// for the events after `startSequence`.
    public func validated(id: String, accountId: String, startSequence: Int64, now: Date) throws(TollgateError) -> WebhookEndpoint {
        try Self.requireURL(url)
        let types = try Self.validatedEventTypes(eventTypes ?? ["*"])
        try Self.requireDescription(description)
        return WebhookEndpoint(
            id: id, accountId: accountId, url: url, eventTypes: types, description: description ?? "", status: .enabled, disabledReason: nil,
            startSequence: startSequence, createdAt: now, updatedAt: now)
    }

    /// An absolute `http` or `https` URL with a host, no user name or password, at most 2,048
    /// characters. Where it may point (``EgressPolicy``) is checked when a delivery connects, on
    /// the addresses its host resolves to then.
    static func requireURL(_ text: String) throws(TollgateError) {
        guard text.count <= 2_048, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, url.user == nil, url.password == nil, url.fragment == nil
        else {
            throw .invalid(field: "url", message: "'url' must be an http or https URL with a host and no user name, password or fragment, of at most 2048 characters.")
        }
    }

    static func validatedEventTypes(_ types: [String]) throws(TollgateError) -> [String] {
        guard !types.isEmpty, types.count <= maximumEventTypes else {
            throw .invalid(field: "eventTypes", message: "'eventTypes' lists 1 to \(maximumEventTypes) event types.")
        }
        for type in types where EventTypeFilter(type) == nil {
            throw .invalid(field: "eventTypes", message: "'\(type)' is not an event type such as license.suspended, a prefix such as license.*, or *.")
        }
        var seen: Set<String> = []
        return types.filter { seen.insert($0).inserted }
    }

    static func requireDescription(_ text: String?) throws(TollgateError) {
        if let text, text.count > 500 { throw .invalid(field: "description", message: "'description' holds at most 500 characters.") }
    }
}

/// `PATCH /v1/webhook-endpoints/{id}`: what to change, each field optional.
public struct WebhookEndpointPatch: Codable, Sendable, Equatable {
    public var url: String?
    public var eventTypes: [String]?
    public var description: String?
    /// `false` disables the endpoint; `true` enables it again (also after the server disabled it).
    public var enabled: Bool?

    public static let fields: Set<String> = ["url", "eventTypes", "description", "enabled"]

    /// `endpoint` with the patch applied, or `nil` when it changes nothing.
    public func applied(to endpoint: WebhookEndpoint, now: Date) throws(TollgateError) -> WebhookEndpoint? {
        var changed = endpoint
        if let url {
            try WebhookEndpointDraft.requireURL(url)
            changed.url = url
        }
        if let eventTypes { changed.eventTypes = try WebhookEndpointDraft.validatedEventTypes(eventTypes) }
        if let description {
            try WebhookEndpointDraft.requireDescription(description)
            changed.description = description
        }
        switch enabled {
        case true?: (changed.status, changed.disabledReason) = (.enabled, nil)
        case false? where endpoint.status == .enabled: (changed.status, changed.disabledReason) = (.disabled, "Disabled by a person.")
        default: break
        }
        guard changed != endpoint else { return nil }
        changed.updatedAt = now
        return changed
    }
}
