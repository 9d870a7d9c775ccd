import Foundation

/// How many machines a license of a policy may run on.
public enum MachineBinding: String, APIEnum {
    /// Exactly one machine.
    case nodeLocked = "node-locked"
    /// Up to `maxMachines` machines at once.
    case floating
}

/// What happens to access once a license has expired and its grace period is over.
public enum ExpirationStrategy: String, APIEnum {
    /// Validation fails with `EXPIRED`; the app should stop.
    case restrictAccess = "restrict-access"
    /// Validation fails with `EXPIRED` but reports `access: "read-only"`: the app may keep
    /// showing data but not change it.
    case keepReadOnly = "keep-read-only"
    /// The license counts as revoked (validation fails with `REVOKED`).
    case revoke
}

/// A tier: the template every license of a product is issued under.
public struct Policy: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var productId: String
    /// The tier's name, reported as `tier` by validation.
    public var name: String
    /// Days a license runs before it expires; `nil` for perpetual.
    public var durationDays: Int?
    public var machineBinding: MachineBinding
    /// Machines at once (1 for node-locked); `nil` for unlimited.
    public var maxMachines: Int?
    /// Feature codes granted; `*` grants every feature.
    public var entitlements: [String]
    public var limits: UsageLimits
    /// Whether the app may be deployed to a cloud (a seed's tier flag).
    public var cloudDeployment: Bool
    /// Days after expiry during which validation still succeeds with `IN_GRACE_PERIOD`.
    public var gracePeriodDays: Int
    /// Days an app may run offline since its last successful online check.
    public var offlineGraceDays: Int
    public var expirationStrategy: ExpirationStrategy
    public var metadata: [String: String]
    public var createdAt: Date
    public var updatedAt: Date
}

/// The fields of a policy a caller may set. Absent fields take the defaults in the README.
public struct PolicyDraft: Codable, Sendable, Equatable {
    public var productId: String
    public var name: String
    public var durationDays: Int?
    public var machineBinding: MachineBinding?
    public var maxMachines: Int?
    public var entitlements: [String]?
    public var limits: UsageLimits?
    public var cloudDeployment: Bool?
    public var gracePeriodDays: Int?
    public var offlineGraceDays: Int?
    public var expirationStrategy: ExpirationStrategy?
    public var metadata: [String: String]?

    public init(
        productId: String, name: String, durationDays: Int? = nil, machineBinding: MachineBinding? = nil,
        maxMachines: Int? = nil, entitlements: [String]? = nil, limits: UsageLimits? = nil,
        cloudDeployment: Bool? = nil, gracePeriodDays: Int? = nil, offlineGraceDays: Int? = nil,
        expirationStrategy: ExpirationStrategy? = nil, metadata: [String: String]? = nil
    ) {
        self.productId = productId
        self.name = name
        self.durationDays = durationDays
        self.machineBinding = machineBinding
        self.maxMachines = maxMachines
        self.entitlements = entitlements
        self.limits = limits
        self.cloudDeployment = cloudDeployment
        self.gracePeriodDays = gracePeriodDays
        self.offlineGraceDays = offlineGraceDays
        self.expirationStrategy = expirationStrategy
        self.metadata = metadata
    }

    public init(_ policy: Policy) {
        self.init(
            productId: policy.productId, name: policy.name, durationDays: policy.durationDays,
            machineBinding: policy.machineBinding, maxMachines: policy.maxMachines, entitlements: policy.entitlements,
            limits: policy.limits, cloudDeployment: policy.cloudDeployment, gracePeriodDays: policy.gracePeriodDays,
            offlineGraceDays: policy.offlineGraceDays, expirationStrategy: policy.expirationStrategy, metadata: policy.metadata)
    }

    /// The default number of days an app may run offline.
    public static let defaultOfflineGraceDays = 30

    /// Checks the rules and builds the policy.
    public func validated(id: String, accountId: String, createdAt: Date, now: Date) throws(TollgateError) -> Policy {
        try Rules.requireText(name, field: "name")
        try Rules.requireRange(durationDays, field: "durationDays", min: 1, max: 36_500)
        let binding = machineBinding ?? .floating
        try Rules.requireRange(maxMachines, field: "maxMachines", min: 1)
        if binding == .nodeLocked, let maxMachines, maxMachines != 1 {
            throw .invalid(field: "maxMachines", message: "A node-locked policy allows exactly one machine; leave 'maxMachines' out or set it to 1.")
        }
        let codes = entitlements ?? []
        try Rules.requireFeatureCodes(codes, field: "entitlements")
        try (limits ?? .unlimited).validate(prefix: "limits")
        try Rules.requireRange(gracePeriodDays, field: "gracePeriodDays", min: 0, max: 3650)
        try Rules.requireRange(offlineGraceDays, field: "offlineGraceDays", min: 0, max: 3650)
        try Rules.requireMetadata(metadata)
        return Policy(
            id: id, accountId: accountId, productId: productId, name: name, durationDays: durationDays,
            machineBinding: binding, maxMachines: binding == .nodeLocked ? 1 : maxMachines,
            entitlements: Array(Set(codes)).sorted(), limits: limits ?? .unlimited,
            cloudDeployment: cloudDeployment ?? false, gracePeriodDays: gracePeriodDays ?? 0,
            offlineGraceDays: offlineGraceDays ?? Self.defaultOfflineGraceDays,
            expirationStrategy: expirationStrategy ?? .restrictAccess, metadata: metadata ?? [:],
            createdAt: createdAt, updatedAt: now)
    }
}
