import Foundation
import TollgateFormats

/// An action on a license's lifecycle.
public enum LicenseAction: Sendable, Equatable {
    case suspend
    case reinstate
    /// Extends the expiry by the policy's duration, counted from the later of the current
    /// expiry and now (a lapsed customer who renews gets a whole period).
    case renew
    /// Moves the license to another policy of the same product (upgrade or downgrade).
    /// The expiry is kept; it is set to now plus the new duration when the license was
    /// perpetual, and cleared when the new policy is perpetual.
    case changePolicy(Policy)
    /// Terminal: nothing brings a revoked license back.
    case revoke

    /// The audit log's name for the action, e.g. `license.suspended`.
    public var auditAction: String {
        switch self {
        case .suspend: "license.suspended"
        case .reinstate: "license.reinstated"
        case .renew: "license.renewed"
        case .changePolicy: "license.policy_changed"
        case .revoke: "license.revoked"
        }
    }
}

/// Why an action cannot apply to a license in its current status. Each answers 409
/// (``policyProductMismatch`` 422) with its ``code``.
public enum LicenseTransitionError: Error, Sendable, Equatable {
    case alreadySuspended
    case notSuspended
    case revoked
    case perpetual
    case samePolicy
    case policyProductMismatch

    public var code: LicenseCode {
        switch self {
        case .alreadySuspended: .licenseAlreadySuspended
        case .notSuspended: .licenseNotSuspended
        case .revoked: .licenseRevoked
        case .perpetual: .licensePerpetual
        case .samePolicy: .policyUnchanged
        case .policyProductMismatch: .policyProductMismatch
        }
    }

    public var message: String {
        switch self {
        case .alreadySuspended: "The license is already suspended."
        case .notSuspended: "Only a suspended license can be reinstated; this one is not suspended."
        case .revoked: "The license is revoked; revocation is final."
        case .perpetual: "The license's policy is perpetual; there is nothing to renew."
        case .samePolicy: "The license is already under this policy."
        case .policyProductMismatch: "The new policy belongs to another product."
        }
    }

    /// As the API error.
    public var asError: TollgateError {
        self == .policyProductMismatch
            ? .invalid(code: code, field: "policyId", message: message)
            : .conflict(code: code, message: message)
    }
}

/// The license lifecycle: `active → suspended → active`, `active → expired` (by time, with
/// grace), any non-revoked status `→ revoked` (terminal).
///
/// | action \ status | active | suspended | expired | revoked |
/// |---|---|---|---|---|
/// | suspend | suspended | 409 ALREADY_SUSPENDED | suspended | 409 REVOKED |
/// | reinstate | 409 NOT_SUSPENDED | active | 409 NOT_SUSPENDED | 409 REVOKED |
/// | renew | new expiry | new expiry (stays suspended) | new expiry | 409 REVOKED |
/// | change-policy | new policy | new policy | new policy | 409 REVOKED |
/// | revoke | revoked | revoked | revoked | 409 REVOKED |
public enum LicenseStateMachine {
    /// The license after `action`, or why the action is not allowed.
    public static func apply(
        _ action: LicenseAction, to license: License, policy: Policy, now: Date
    ) throws(LicenseTransitionError) -> License {
        let status = license.status(at: now, policy: policy)
        if status == .revoked { throw .revoked }
        var next = license
        next.updatedAt = now
        switch action {
        case .suspend:
            if status == .suspended { throw .alreadySuspended }
            next.state = .suspended
            next.revocationVersion += 1
        case .reinstate:
            guard status == .suspended else { throw .notSuspended }
            next.state = .active
        case .renew:
            guard let days = policy.durationDays else { throw .perpetual }
            let base = max(license.expiresAt ?? now, now)
            next.expiresAt = base.adding(days: days)
        case .changePolicy(let newPolicy):
            guard newPolicy.productId == policy.productId else { throw .policyProductMismatch }
            guard newPolicy.id != policy.id else { throw .samePolicy }
            next.policyId = newPolicy.id
            if newPolicy.durationDays == nil {
                next.expiresAt = nil
            } else if license.expiresAt == nil, let days = newPolicy.durationDays {
                next.expiresAt = now.adding(days: days)
            }
            next.revocationVersion += 1
        case .revoke:
            next.state = .revoked
            next.revocationVersion += 1
        }
        return next
    }
}
