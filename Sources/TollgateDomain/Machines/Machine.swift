import Foundation
import TollgateFormats

/// One installation of a licensed app: a machine (or a cluster node) that activated a license.
///
/// A machine is `active` until it is deactivated (by its owner, by the sweep after it died, at the
/// end of its cluster's drain, or by an offline receipt). Whether an active machine is alive is
/// decided by time: see ``liveness(at:)``.
public struct Machine: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var licenseId: String
    /// The app's identifier for the machine; unique among a license's active machines.
    public var fingerprint: String
    public var name: String?
    public var platform: String?
    public var hostname: String?
    public var cores: Int?
    /// The cluster the machine is a node of, for cluster-bound licenses.
    public var cluster: String?
    public var state: MachineState
    public var deactivationReason: DeactivationReason?
    public var deactivatedAt: Date?
    /// When the last heartbeat (or the activation) arrived.
    public var lastHeartbeatAt: Date
    /// When the machine counts as dead unless it beats: last heartbeat plus interval plus grace.
    /// `nil` when the machine needs no heartbeats (policy, or activated offline).
    public var deadAt: Date?
    /// Whether the sweep deactivates the machine once it is dead (the policy's strategy when it last beat).
    public var cullWhenDead: Bool
    /// Set on every machine of a cluster that another cluster replaced: when the machines are deactivated.
    public var drainingUntil: Date?
    /// Bumped when the machine is deactivated, so that its tokens are refused.
    public var tokenVersion: Int
    /// True when the machine was activated from an air-gapped request.
    public var activatedOffline: Bool
    /// The nonce of the offline activation request, so a resubmitted request is answered again.
    public var offlineRequestNonce: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, accountId: String, licenseId: String, fingerprint: String, name: String? = nil, platform: String? = nil,
        hostname: String? = nil, cores: Int? = nil, cluster: String? = nil, state: MachineState = .active,
        deactivationReason: DeactivationReason? = nil, deactivatedAt: Date? = nil, lastHeartbeatAt: Date, deadAt: Date?,
        cullWhenDead: Bool, drainingUntil: Date? = nil, tokenVersion: Int = 0, activatedOffline: Bool = false,
        offlineRequestNonce: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.licenseId = licenseId
        self.fingerprint = fingerprint
        self.name = name
        self.platform = platform
        self.hostname = hostname
        self.cores = cores
        self.cluster = cluster
        self.state = state
        self.deactivationReason = deactivationReason
        self.deactivatedAt = deactivatedAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.deadAt = deadAt
        self.cullWhenDead = cullWhenDead
        self.drainingUntil = drainingUntil
        self.tokenVersion = tokenVersion
        self.activatedOffline = activatedOffline
        self.offlineRequestNonce = offlineRequestNonce
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, accountId, licenseId, fingerprint, name, platform, hostname, cores, cluster, state, deactivationReason, deactivatedAt
        case lastHeartbeatAt, deadAt, cullWhenDead, drainingUntil, tokenVersion, activatedOffline, offlineRequestNonce, createdAt, updatedAt
    }

    /// Encodes absent values as explicit `null`s, so every answer shows every field.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(accountId, forKey: .accountId)
        try container.encode(licenseId, forKey: .licenseId)
        try container.encode(fingerprint, forKey: .fingerprint)
        try container.encode(name, forKey: .name)
        try container.encode(platform, forKey: .platform)
        try container.encode(hostname, forKey: .hostname)
        try container.encode(cores, forKey: .cores)
        try container.encode(cluster, forKey: .cluster)
        try container.encode(state, forKey: .state)
        try container.encode(deactivationReason, forKey: .deactivationReason)
        try container.encode(deactivatedAt, forKey: .deactivatedAt)
        try container.encode(lastHeartbeatAt, forKey: .lastHeartbeatAt)
        try container.encode(deadAt, forKey: .deadAt)
        try container.encode(cullWhenDead, forKey: .cullWhenDead)
        try container.encode(drainingUntil, forKey: .drainingUntil)
        try container.encode(tokenVersion, forKey: .tokenVersion)
        try container.encode(activatedOffline, forKey: .activatedOffline)
        try container.encode(offlineRequestNonce, forKey: .offlineRequestNonce)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    /// Whether the machine is alive, dead or deactivated at `now`.
    public func liveness(at now: Date) -> MachineLiveness {
        guard state == .active else { return .deactivated }
        if let deadAt, now >= deadAt { return .dead }
        return .alive
    }

    /// When a heartbeat received at `now` makes the machine dead under `policy`.
    public static func deadline(after now: Date, policy: Policy, offline: Bool) -> Date? {
        guard policy.requireHeartbeat, !offline else { return nil }
        return now.addingTimeInterval(TimeInterval(policy.heartbeatIntervalSeconds + policy.heartbeatGraceSeconds))
    }

    /// When the next heartbeat is due (without the grace); `nil` when none is needed.
    public func nextHeartbeatDue(policy: Policy) -> Date? {
        guard deadAt != nil else { return nil }
        return lastHeartbeatAt.addingTimeInterval(TimeInterval(policy.heartbeatIntervalSeconds))
    }
}

/// The stored state of a machine.
public enum MachineState: String, APIEnum {
    case active, deactivated
}

/// Why a machine was deactivated.
public enum DeactivationReason: String, APIEnum {
    /// By its owner, its license key or an admin (`DELETE /v1/machines/{id}`).
    case requested
    /// By the sweep, after it missed its heartbeat deadline and grace.
    case dead
    /// At the end of its cluster's drain window, after another cluster replaced it.
    case clusterDrained = "cluster-drained"
    /// By a deactivation receipt from an air-gapped machine.
    case offlineReceipt = "offline-receipt"
}

/// Whether a machine is running, as time decides it.
public enum MachineLiveness: String, Sendable, Codable {
    case alive, dead, deactivated
}

/// What an app sends to activate a machine.
public struct MachineDraft: Codable, Sendable, Equatable {
    public var fingerprint: String
    public var name: String?
    public var platform: String?
    public var hostname: String?
    public var cores: Int?
    public var cluster: String?

    public init(fingerprint: String, name: String? = nil, platform: String? = nil, hostname: String? = nil, cores: Int? = nil, cluster: String? = nil) {
        self.fingerprint = fingerprint
        self.name = name
        self.platform = platform
        self.hostname = hostname
        self.cores = cores
        self.cluster = cluster
    }

    /// Checks the fields: a fingerprint of 1 to 256 printable characters, short texts, 1 to 4096 cores.
    public func validate() throws(TollgateError) {
        try Rules.requireText(fingerprint, field: "fingerprint", max: 256)
        guard fingerprint.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .invalid(field: "fingerprint", message: "'fingerprint' must be printable ASCII without spaces.")
        }
        if let name { try Rules.requireText(name, field: "name") }
        if let platform { try Rules.requireText(platform, field: "platform", max: 100) }
        if let hostname { try Rules.requireText(hostname, field: "hostname", max: 255) }
        if let cluster { try Rules.requireText(cluster, field: "cluster", max: 200) }
        try Rules.requireRange(cores, field: "cores", min: 1, max: 4096)
    }
}
