import Foundation
import TollgateFormats

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
    /// Tiers from cheapest to dearest, for ``FeatureRequired`` errors and
    /// ``TollgateClient/tierWithMore(_:than:)``. `nil` (the default): the product's policies as the
    /// server lists them (`GET /v1/products/{id}/tiers`), fetched after activation and each
    /// online validation and kept on disk for offline use.
    public var tiers: [Tier]?
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

/// A tier (a policy of the product): its entitlements (`*` for every feature) and limits.
public struct Tier: Codable, Sendable, Equatable {
    public var name: String
    public var entitlements: Set<String>
    /// Limits by code: a number or `"unlimited"`.
    public var limits: [String: LimitValue]
    /// Machines at once; `nil` for unlimited.
    public var maxMachines: Int?

    public init(name: String, entitlements: Set<String>, limits: [String: LimitValue] = [:], maxMachines: Int? = nil) {
        self.name = name
        self.entitlements = entitlements
        self.limits = limits
        self.maxMachines = maxMachines
    }

    public func includes(_ feature: String) -> Bool { entitlements.contains(feature) || entitlements.contains(Entitlements.all) }

    /// The tier's value of `code` (`maxMachines` included); `nil` when the tier has no such limit.
    public func value(of code: String) -> LimitValue? {
        code == LimitCodes.maxMachines ? LimitValue(maxMachines) : limits[code]
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
