import Foundation
import TollgateFormats

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

/// What the sweep does with a machine that missed its heartbeat deadline and grace.
public enum DeadMachineStrategy: String, APIEnum {
    /// Deactivate it and free its seat (a heartbeat within the resurrection window brings it back).
    case deactivate
    /// Keep it: it holds its seat and shows as dead until it beats again.
    case keep
}

/// What happens to usage beyond a limit with a period (the policy's choice per limit).
public enum LimitEnforcement: String, APIEnum {
    /// Events that would take the period's usage past the limit are refused with
    /// `USAGE_LIMIT_REACHED`; `POST /v1/usage/check` says whether more fits.
    case block
    /// Usage past the limit is counted and reported as overage (billed later). The default.
    case allowOverage = "allow-overage"
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
    /// The vendor's limits by code (see ``LimitCodes``): a number or `"unlimited"`.
    public var limits: [String: LimitValue]
    /// The period of each limit that resets; limits not named here never reset.
    public var limitPeriods: [String: LimitPeriod]
    /// The limit code whose value caps the license's concurrent leases (no cap when the
    /// policy has no limit of that code).
    public var leaseLimit: String
    /// How each limit with a period is enforced against its meter; absent: `allow-overage`.
    public var limitEnforcement: [String: LimitEnforcement]
    /// The tier's place among the product's tiers, lowest first (ties: the older first): upgrade
    /// suggestions name the lowest tier that fits.
    public var rank: Int
    /// Whether the tier's licenses opted into telemetry: events of telemetry meters are taken
    /// for them only (`TELEMETRY_NOT_OPTED_IN` otherwise). Off by default.
    public var telemetry: Bool
    /// Whether the app may be deployed to a cloud (a seed's tier flag).
    public var cloudDeployment: Bool
    /// Days after expiry during which validation still succeeds with `IN_GRACE_PERIOD`.
    public var gracePeriodDays: Int
    /// Days an app may run offline since its last successful online check.
    public var offlineGraceDays: Int
    public var expirationStrategy: ExpirationStrategy
    /// Clusters a license may run in at once; `nil` means one once a machine names a cluster.
    public var maxClusters: Int?
    /// Machines per cluster; `nil` for no cap beyond `maxMachines`.
    public var maxNodesPerCluster: Int?
    /// Seconds a cluster that was replaced by a new one keeps running before its machines
    /// are deactivated.
    public var clusterDrainSeconds: Int
    /// Whether machines must send heartbeats; machines activated offline never do.
    public var requireHeartbeat: Bool
    /// Seconds between heartbeats.
    public var heartbeatIntervalSeconds: Int
    /// Seconds past a missed heartbeat before the machine counts as dead.
    public var heartbeatGraceSeconds: Int
    /// Seconds after its death during which a heartbeat brings a deactivated machine back.
    public var resurrectionWindowSeconds: Int
    public var deadMachineStrategy: DeadMachineStrategy
    /// Minutes an activation token lives.
    public var tokenLifetimeMinutes: Int
    /// Days before expiry when the customer gets a renewal reminder email, largest first
    /// (default 30, 7 and 1; empty for none).
    public var renewalReminderDays: [Int]
    /// Requests per minute the API allows each of the policy's license keys and each machine
    /// token (README, "Rate limits"); `nil`, the default, for no limit of its own.
    public var apiRequestsPerMinute: Int?
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
    public var limits: [String: LimitValue]?
    public var limitPeriods: [String: LimitPeriod]?
    public var leaseLimit: String?
    public var limitEnforcement: [String: LimitEnforcement]?
    public var rank: Int?
    public var telemetry: Bool?
    public var cloudDeployment: Bool?
    public var gracePeriodDays: Int?
    public var offlineGraceDays: Int?
    public var expirationStrategy: ExpirationStrategy?
    public var maxClusters: Int?
    public var maxNodesPerCluster: Int?
    public var clusterDrainSeconds: Int?
    public var requireHeartbeat: Bool?
    public var heartbeatIntervalSeconds: Int?
    public var heartbeatGraceSeconds: Int?
    public var resurrectionWindowSeconds: Int?
    public var deadMachineStrategy: DeadMachineStrategy?
    public var tokenLifetimeMinutes: Int?
    public var renewalReminderDays: [Int]?
    public var apiRequestsPerMinute: Int?
    public var metadata: [String: String]?

    public init(
        productId: String, name: String, durationDays: Int? = nil, machineBinding: MachineBinding? = nil,
        maxMachines: Int? = nil, entitlements: [String]? = nil, limits: [String: LimitValue]? = nil,
        limitPeriods: [String: LimitPeriod]? = nil, leaseLimit: String? = nil,
        limitEnforcement: [String: LimitEnforcement]? = nil, rank: Int? = nil, telemetry: Bool? = nil,
        cloudDeployment: Bool? = nil, gracePeriodDays: Int? = nil, offlineGraceDays: Int? = nil,
        expirationStrategy: ExpirationStrategy? = nil, maxClusters: Int? = nil, maxNodesPerCluster: Int? = nil,
        clusterDrainSeconds: Int? = nil, requireHeartbeat: Bool? = nil, heartbeatIntervalSeconds: Int? = nil,
        heartbeatGraceSeconds: Int? = nil, resurrectionWindowSeconds: Int? = nil,
        deadMachineStrategy: DeadMachineStrategy? = nil, tokenLifetimeMinutes: Int? = nil, renewalReminderDays: [Int]? = nil,
        apiRequestsPerMinute: Int? = nil,
        metadata: [String: String]? = nil
    ) {
        self.productId = productId
        self.name = name
        self.durationDays = durationDays
        self.machineBinding = machineBinding
        self.maxMachines = maxMachines
        self.entitlements = entitlements
        self.limits = limits
        self.limitPeriods = limitPeriods
        self.leaseLimit = leaseLimit
        self.limitEnforcement = limitEnforcement
        self.rank = rank
        self.telemetry = telemetry
        self.cloudDeployment = cloudDeployment
        self.gracePeriodDays = gracePeriodDays
        self.offlineGraceDays = offlineGraceDays
        self.expirationStrategy = expirationStrategy
        self.maxClusters = maxClusters
        self.maxNodesPerCluster = maxNodesPerCluster
        self.clusterDrainSeconds = clusterDrainSeconds
        self.requireHeartbeat = requireHeartbeat
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.heartbeatGraceSeconds = heartbeatGraceSeconds
        self.resurrectionWindowSeconds = resurrectionWindowSeconds
        self.deadMachineStrategy = deadMachineStrategy
        self.tokenLifetimeMinutes = tokenLifetimeMinutes
        self.renewalReminderDays = renewalReminderDays
        self.apiRequestsPerMinute = apiRequestsPerMinute
        self.metadata = metadata
    }

    public init(_ policy: Policy) {
        self.init(
            productId: policy.productId, name: policy.name, durationDays: policy.durationDays,
            machineBinding: policy.machineBinding, maxMachines: policy.maxMachines, entitlements: policy.entitlements,
            limits: policy.limits, limitPeriods: policy.limitPeriods, leaseLimit: policy.leaseLimit,
            limitEnforcement: policy.limitEnforcement, rank: policy.rank, telemetry: policy.telemetry, cloudDeployment: policy.cloudDeployment, gracePeriodDays: policy.gracePeriodDays,
            offlineGraceDays: policy.offlineGraceDays, expirationStrategy: policy.expirationStrategy,
            maxClusters: policy.maxClusters, maxNodesPerCluster: policy.maxNodesPerCluster,
            clusterDrainSeconds: policy.clusterDrainSeconds, requireHeartbeat: policy.requireHeartbeat,
            heartbeatIntervalSeconds: policy.heartbeatIntervalSeconds, heartbeatGraceSeconds: policy.heartbeatGraceSeconds,
            resurrectionWindowSeconds: policy.resurrectionWindowSeconds, deadMachineStrategy: policy.deadMachineStrategy,
            tokenLifetimeMinutes: policy.tokenLifetimeMinutes, renewalReminderDays: policy.renewalReminderDays,
            apiRequestsPerMinute: policy.apiRequestsPerMinute, metadata: policy.metadata)
    }

    /// The default number of days an app may run offline.
    public static let defaultOfflineGraceDays = 30
    /// Defaults of the machine rules (README, "Machines").
    public static let defaultHeartbeatIntervalSeconds = 600
    public static let defaultHeartbeatGraceSeconds = 120
    public static let defaultResurrectionWindowSeconds = 3600
    public static let defaultClusterDrainSeconds = 3600
    public static let defaultTokenLifetimeMinutes = 15
    /// Renewal reminders before expiry, in days.
    public static let defaultRenewalReminderDays = [30, 7, 1]

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
        let (limits, periods, leaseLimit) = try validatedLimits()
        // Only limits with a period bind to meters; a limit that loses its period keeps no
        // enforcement (a PATCH carries the old one back).
        var enforcement: [String: LimitEnforcement] = [:]
        for (code, mode) in (limitEnforcement ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard limits[code] != nil else {
                throw .invalid(code: CatalogCode.unknownLimit, field: "limitEnforcement.\(code)", message: "The policy has no limit '\(code)' to enforce.")
            }
            if periods[code] != nil { enforcement[code] = mode }
        }
        try Rules.requireRange(rank, field: "rank", min: 0, max: 1_000_000)
        try Rules.requireRange(gracePeriodDays, field: "gracePeriodDays", min: 0, max: 3650)
        try Rules.requireRange(offlineGraceDays, field: "offlineGraceDays", min: 0, max: 3650)
        try Rules.requireRange(maxClusters, field: "maxClusters", min: 1)
        try Rules.requireRange(maxNodesPerCluster, field: "maxNodesPerCluster", min: 1)
        try Rules.requireRange(clusterDrainSeconds, field: "clusterDrainSeconds", min: 0, max: 30 * 86_400)
        try Rules.requireRange(heartbeatIntervalSeconds, field: "heartbeatIntervalSeconds", min: 60, max: 7 * 86_400)
        try Rules.requireRange(heartbeatGraceSeconds, field: "heartbeatGraceSeconds", min: 0, max: 7 * 86_400)
        try Rules.requireRange(resurrectionWindowSeconds, field: "resurrectionWindowSeconds", min: 0, max: 30 * 86_400)
        try Rules.requireRange(tokenLifetimeMinutes, field: "tokenLifetimeMinutes", min: 5, max: 60)
        let reminders = renewalReminderDays ?? Self.defaultRenewalReminderDays
        guard reminders.count <= 5, Set(reminders).count == reminders.count, reminders.allSatisfy({ (1...365).contains($0) }) else {
            throw .invalid(field: "renewalReminderDays", message: "At most 5 different numbers of days from 1 to 365, such as [30, 7, 1]; [] for no reminders.")
        }
        try Rules.requireRange(apiRequestsPerMinute, field: "apiRequestsPerMinute", min: 1, max: 10_000_000)
        try Rules.requireMetadata(metadata)
        return Policy(
            id: id, accountId: accountId, productId: productId, name: name, durationDays: durationDays,
            machineBinding: binding, maxMachines: binding == .nodeLocked ? 1 : maxMachines,
            entitlements: Array(Set(codes)).sorted(), limits: limits, limitPeriods: periods, leaseLimit: leaseLimit,
            limitEnforcement: enforcement, rank: rank ?? 0, telemetry: telemetry ?? false, cloudDeployment: cloudDeployment ?? false, gracePeriodDays: gracePeriodDays ?? 0,
            offlineGraceDays: offlineGraceDays ?? Self.defaultOfflineGraceDays,
            expirationStrategy: expirationStrategy ?? .restrictAccess, maxClusters: maxClusters,
            maxNodesPerCluster: maxNodesPerCluster, clusterDrainSeconds: clusterDrainSeconds ?? Self.defaultClusterDrainSeconds,
            requireHeartbeat: requireHeartbeat ?? true,
            heartbeatIntervalSeconds: heartbeatIntervalSeconds ?? Self.defaultHeartbeatIntervalSeconds,
            heartbeatGraceSeconds: heartbeatGraceSeconds ?? Self.defaultHeartbeatGraceSeconds,
            resurrectionWindowSeconds: resurrectionWindowSeconds ?? Self.defaultResurrectionWindowSeconds,
            deadMachineStrategy: deadMachineStrategy ?? .deactivate,
            tokenLifetimeMinutes: tokenLifetimeMinutes ?? Self.defaultTokenLifetimeMinutes, renewalReminderDays: reminders.sorted(by: >),
            apiRequestsPerMinute: apiRequestsPerMinute, metadata: metadata ?? [:],
            createdAt: createdAt, updatedAt: now)
    }

    /// The limits, their periods (`none` dropped) and the lease limit, checked.
    func validatedLimits() throws(TollgateError) -> ([String: LimitValue], [String: LimitPeriod], String) {
        let limits = self.limits ?? [:]
        guard limits.count <= LimitCodes.maxPerPolicy else {
            throw .invalid(field: "limits", message: "A policy has at most \(LimitCodes.maxPerPolicy) limits.")
        }
        for (code, value) in limits.sorted(by: { $0.key < $1.key }) {
            try Rules.requireLimitCode(code, field: "limits.\(code)")
            if code == LimitCodes.maxMachines {
                throw .invalid(
                    code: CatalogCode.invalidLimitCode, field: "limits.\(code)",
                    message: "'maxMachines' is a policy field of its own; set it outside 'limits'.")
            }
            try Rules.requireRange(value.maximum, field: "limits.\(code)", min: 0)
        }
        var periods: [String: LimitPeriod] = [:]
        for (code, period) in (limitPeriods ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard limits[code] != nil else {
                throw .invalid(code: CatalogCode.unknownLimit, field: "limitPeriods.\(code)", message: "The policy has no limit '\(code)' to give a period.")
            }
            if period != LimitPeriod.none { periods[code] = period }
        }
        // The default may be named without a limit of its code (a PATCH carries it back).
        if let leaseLimit, leaseLimit != LimitCodes.defaultLeaseLimit {
            guard limits[leaseLimit] != nil else {
                throw .invalid(code: CatalogCode.unknownLimit, field: "leaseLimit", message: "The policy has no limit '\(leaseLimit)' for leases to count against.")
            }
        }
        return (limits, periods, leaseLimit ?? LimitCodes.defaultLeaseLimit)
    }
}
