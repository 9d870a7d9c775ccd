import Foundation
import TollgateCore

/// How a ``TollgateClient`` reaches its server and where it keeps its files.
public struct TollgateClientConfiguration: Sendable {
    /// The Tollgate server, e.g. `https://licenses.example.com`.
    public var serverURL: URL
    /// The product this app is (`prd_…`): validations are scoped to it, and fingerprints keyed by it.
    public var productId: String
    /// The vendor's public keys, as `/.well-known/jwks.json` serves them: embed them in the app so
    /// that answers, tokens and files are checked against keys the app already trusts.
    public var keys: JWKS
    /// Where the activation, the signed file and the status are kept (created 0700).
    public var storageDirectory: URL
    /// This machine's fingerprint; by default ``MachineFingerprint/current(productId:)``.
    public var fingerprint: String?
    /// The machine's name as the vendor's dashboard shows it; by default the host name.
    public var machineName: String?
    /// The clock (tests move it).
    public var now: @Sendable () -> Date = { Date() }
    /// Grace windows and clock tolerance.
    public var rules = ClientStateMachine()
    /// Tiers from cheapest to dearest with their entitlements, for ``FeatureRequired`` errors.
    public var tiers: [Tier] = Tier.presets
    /// Where buffered usage is sent (`POST`, batches with an `Idempotency-Key`). Provisional
    /// until the metering API lands; see ``UsageBuffer``.
    public var usagePath = "/v1/usage/events"
    /// How long a request may take before the server counts as unreachable.
    public var requestTimeout: TimeInterval = 10

    public init(serverURL: URL, productId: String, keys: JWKS, storageDirectory: URL) {
        self.serverURL = serverURL
        self.productId = productId
        self.keys = keys
        self.storageDirectory = storageDirectory
    }
}

/// A tier, its entitlements (`*` for every feature) and its usage limits (`nil`: unlimited).
public struct Tier: Sendable, Equatable {
    public var name: String
    public var entitlements: Set<String>
    public var limits: UsageLimits

    public init(name: String, entitlements: Set<String>, limits: UsageLimits = .unlimited) {
        self.name = name
        self.entitlements = entitlements
        self.limits = limits
    }

    public func includes(_ feature: String) -> Bool { entitlements.contains(feature) || entitlements.contains(Entitlements.all) }

    /// The tier's value for `limit` (`nil`: unlimited, or not a usage limit).
    public func value(of limit: LimitName) -> Int? {
        switch limit {
        case .maxWorkflows: limits.maxWorkflows
        case .executionsPerMonth: limits.executionsPerMonth
        case .concurrentExecutions: limits.concurrentExecutions
        case .requestsPerSecond: limits.requestsPerSecond
        case .maxMachines: nil
        }
    }

    /// The server's presets: Community, Professional, Enterprise.
    public static let presets: [Tier] = PolicyPreset.allCases.map {
        let draft = $0.draft(productId: "")
        return Tier(name: draft.name, entitlements: Set(draft.entitlements ?? []), limits: draft.limits ?? .unlimited)
    }
}

/// Thrown by ``TollgateClient/require(_:)``: names the feature, the license's tier and the
/// cheapest tier that includes it.
public struct FeatureRequired: Error, Sendable, Equatable, CustomStringConvertible {
    public var feature: String
    public var currentTier: String?
    public var requiredTier: String?

    public init(feature: String, currentTier: String?, requiredTier: String?) {
        self.feature = feature
        self.currentTier = currentTier
        self.requiredTier = requiredTier
    }

    public var description: String {
        let upgrade = requiredTier.map { " It is included in \($0)." } ?? ""
        return "The feature \"\(feature)\" is not included in \(currentTier.map { "the \($0) tier" } ?? "this license").\(upgrade)"
    }
}

/// Thrown by client operations that need the server or an activation.
public enum TollgateClientError: Error, Sendable, Equatable {
    /// Not activated on this machine.
    case notActivated
    /// The license may not be used (the state says why).
    case licenseNotUsable(ClientState)
    /// The server refused the request: its error code and message.
    case refused(status: Int, code: String, message: String)
    /// The server did not answer, or its answer failed its signature or nonce check.
    case unreachable(String)
    /// No stable machine id on this platform; set ``TollgateClientConfiguration/fingerprint``.
    case noFingerprint
}
