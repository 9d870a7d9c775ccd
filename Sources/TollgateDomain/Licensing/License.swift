import Foundation
import TollgateFormats

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
    /// Limits that replace the policy's for this license only, by code (the policy's limit
    /// codes and `maxMachines`).
    public var limitOverrides: [String: LimitValue]
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
        state: LicenseState, expiresAt: Date?, limitOverrides: [String: LimitValue], extraEntitlements: [String],
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

    /// The limits in force: the policy's, with this license's overrides of the codes the policy
    /// has (an override of a code the policy no longer has, after a change of policy, is ignored),
    /// and `maxMachines`.
    public func effectiveLimits(policy: Policy) -> EffectiveLimits {
        var values = policy.limits
        values[LimitCodes.maxMachines] = LimitValue(policy.maxMachines)
        for (code, value) in limitOverrides where values[code] != nil { values[code] = value }
        return EffectiveLimits(values: values, periods: policy.limitPeriods)
    }

    /// One limit in force (what ``effectiveLimits(policy:)`` holds for `code`), without building
    /// them all: the activation and lease paths read just one.
    public func effectiveLimit(_ code: String, policy: Policy) -> LimitValue? {
        let inherited = code == LimitCodes.maxMachines ? LimitValue(policy.maxMachines) : policy.limits[code]
        guard inherited != nil else { return nil }
        return limitOverrides[code] ?? inherited
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
    public var limitOverrides: [String: LimitValue]?
    public var entitlements: [String]?
    public var metadata: [String: String]?

    public init(
        policyId: String, customerId: String, expiresAt: Date? = nil, limitOverrides: [String: LimitValue]? = nil,
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
        for (code, value) in (limitOverrides ?? [:]).sorted(by: { $0.key < $1.key }) {
            try Rules.requireLimitCode(code, field: "limitOverrides.\(code)")
            try Rules.requireRange(value.maximum, field: "limitOverrides.\(code)", min: code == LimitCodes.maxMachines ? 1 : 0)
        }
        try Rules.requireMetadata(metadata)
    }

    /// Checks that every override names a limit of `policy` (or `maxMachines`), so a typo is
    /// refused rather than ignored.
    public static func requireKnownOverrides(_ overrides: [String: LimitValue], policy: Policy) throws(TollgateError) {
        for code in overrides.keys.sorted() where code != LimitCodes.maxMachines && policy.limits[code] == nil {
            throw .invalid(
                code: CatalogCode.unknownLimit, field: "limitOverrides.\(code)",
                message: "The license's policy has no limit '\(code)'; its limits are \(policy.limits.keys.sorted().joined(separator: ", ")) and maxMachines.")
        }
    }
}

/// The fields of a license a caller may change with `PATCH` (a JSON Merge Patch):
/// expiry, overrides, extra entitlements and metadata. State changes go through actions.
public struct LicenseUpdate: Codable, Sendable, Equatable {
    public var expiresAt: Date?
    public var limitOverrides: [String: LimitValue]?
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
