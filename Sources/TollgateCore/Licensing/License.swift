import Foundation

/// A license: the right of one customer to use one product under one policy.
public struct License: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var productId: String
    public var policyId: String
    public var customerId: String
    /// The signed key given to the customer (see ``LicenseKey``).
    public var key: String
    /// The id of the signing key that signed ``key``.
    public var keyId: String
    /// The stored state; ``status(at:policy:)`` adds expiry, which time decides.
    public var state: LicenseState
    /// When the license expires; `nil` for perpetual.
    public var expiresAt: Date?
    /// Limits that replace the policy's for this license only.
    public var limitOverrides: [LimitName: LimitValue]
    /// Feature codes granted on top of the policy's.
    public var extraEntitlements: [String]
    public var metadata: [String: String]
    /// Bumped by every change that takes rights away (suspend, revoke, change of policy),
    /// so that tokens issued before it can be refused.
    public var revocationVersion: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, accountId: String, productId: String, policyId: String, customerId: String, key: String, keyId: String,
        state: LicenseState, expiresAt: Date?, limitOverrides: [LimitName: LimitValue], extraEntitlements: [String],
        metadata: [String: String], revocationVersion: Int, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.productId = productId
        self.policyId = policyId
        self.customerId = customerId
        self.key = key
        self.keyId = keyId
        self.state = state
        self.expiresAt = expiresAt
        self.limitOverrides = limitOverrides
        self.extraEntitlements = extraEntitlements
        self.metadata = metadata
        self.revocationVersion = revocationVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The limits in force: the policy's, with this license's overrides.
    public func effectiveLimits(policy: Policy) -> EffectiveLimits {
        func pick(_ name: LimitName, _ inherited: Int?) -> Int? {
            guard let override = limitOverrides[name] else { return inherited }
            return override.asOptional
        }
        return EffectiveLimits(
            maxMachines: pick(.maxMachines, policy.maxMachines),
            maxWorkflows: pick(.maxWorkflows, policy.limits.maxWorkflows),
            executionsPerMonth: pick(.executionsPerMonth, policy.limits.executionsPerMonth),
            concurrentExecutions: pick(.concurrentExecutions, policy.limits.concurrentExecutions),
            requestsPerSecond: pick(.requestsPerSecond, policy.limits.requestsPerSecond))
    }

    /// The feature codes in force: the policy's and this license's own.
    public func effectiveEntitlements(policy: Policy) -> [String] {
        Array(Set(policy.entitlements).union(extraEntitlements)).sorted()
    }

    /// The status at `now`, derived from the stored state and the expiry.
    public func status(at now: Date, policy: Policy) -> LicenseStatus {
        switch state {
        case .revoked: return .revoked
        case .suspended: return .suspended
        case .active:
            guard let expiresAt, now >= expiresAt else { return .active }
            if now < expiresAt.adding(days: policy.gracePeriodDays) { return .expired(inGrace: true) }
            return policy.expirationStrategy == .revoke ? .revoked : .expired(inGrace: false)
        }
    }
}

/// The state a license is stored in. Expiry is not stored: time decides it.
public enum LicenseState: String, APIEnum {
    case active, suspended, revoked
}

/// The status of a license at an instant.
public enum LicenseStatus: Sendable, Equatable {
    case active
    case suspended
    /// Past its expiry; `inGrace` while within the policy's grace period.
    case expired(inGrace: Bool)
    case revoked

    /// The name the API uses: `active`, `suspended`, `expired` or `revoked`.
    public var name: String {
        switch self {
        case .active: "active"
        case .suspended: "suspended"
        case .expired: "expired"
        case .revoked: "revoked"
        }
    }
}

/// The fields of a license a caller may set when issuing one.
public struct LicenseDraft: Codable, Sendable, Equatable {
    public var policyId: String
    public var customerId: String
    /// Defaults to now plus the policy's duration (none for a perpetual policy).
    public var expiresAt: Date?
    public var limitOverrides: [LimitName: LimitValue]?
    public var entitlements: [String]?
    public var metadata: [String: String]?

    public init(
        policyId: String, customerId: String, expiresAt: Date? = nil, limitOverrides: [LimitName: LimitValue]? = nil,
        entitlements: [String]? = nil, metadata: [String: String]? = nil
    ) {
        self.policyId = policyId
        self.customerId = customerId
        self.expiresAt = expiresAt
        self.limitOverrides = limitOverrides
        self.entitlements = entitlements
        self.metadata = metadata
    }

    /// Checks the rules that need no lookup.
    public func validate() throws(TollgateError) {
        try Rules.requireFeatureCodes(entitlements ?? [], field: "entitlements")
        for (name, value) in limitOverrides ?? [:] {
            if case .limited(let number) = value {
                try Rules.requireRange(number, field: "limitOverrides.\(name.rawValue)", min: name == .maxMachines ? 1 : 0)
            }
        }
        try Rules.requireMetadata(metadata)
    }
}

/// The fields of a license a caller may change with `PATCH` (a JSON Merge Patch):
/// expiry, overrides, extra entitlements and metadata. State changes go through actions.
public struct LicenseUpdate: Codable, Sendable, Equatable {
    public var expiresAt: Date?
    public var limitOverrides: [LimitName: LimitValue]?
    public var entitlements: [String]?
    public var metadata: [String: String]?

    public init(_ license: License) {
        expiresAt = license.expiresAt
        limitOverrides = license.limitOverrides
        entitlements = license.extraEntitlements
        metadata = license.metadata
    }

    /// Applies the update to `license` after checking the rules.
    public func applied(to license: License, now: Date) throws(TollgateError) -> License {
        let draft = LicenseDraft(
            policyId: license.policyId, customerId: license.customerId, expiresAt: expiresAt,
            limitOverrides: limitOverrides, entitlements: entitlements, metadata: metadata)
        try draft.validate()
        var updated = license
        updated.expiresAt = expiresAt
        updated.limitOverrides = limitOverrides ?? [:]
        updated.extraEntitlements = Array(Set(entitlements ?? [])).sorted()
        updated.metadata = metadata ?? [:]
        updated.updatedAt = now
        return updated
    }
}
