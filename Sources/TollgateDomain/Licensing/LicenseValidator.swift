import Foundation
import TollgateFormats

/// Decides whether a license may be used, reporting every failing check, not just the first.
///
/// Pure: the caller has already decoded and verified the key and loaded the license, its
/// policy and its machines' fingerprints.
public enum LicenseValidator {
    /// The verdict on one license.
    public struct Verdict: Sendable, Equatable {
        public var code: ValidationCode
        public var reasons: [ValidationReason]
        public var status: LicenseStatus
        public var access: AccessLevel
        /// The license's effective feature codes (policy's and its own).
        public var entitlements: [String]
        public var valid: Bool { code.isValid }
    }

    /// Order in which failing checks become the main code.
    static let precedence: [ValidationCode] = [.revoked, .suspended, .expired, .productScopeMismatch, .entitlementsMissing, .noMachine]

    public static func evaluate(
        license: License, policy: Policy, scope: ValidationScope?, fingerprints: Set<String>, now: Date
    ) -> Verdict {
        var reasons: [ValidationReason] = []
        let status = license.status(at: now, policy: policy)
        switch status {
        case .revoked: reasons.append(.init(.revoked, "The license has been revoked."))
        case .suspended: reasons.append(.init(.suspended, "The license is suspended."))
        case .expired(inGrace: false):
            reasons.append(.init(.expired, "The license expired and its grace period is over."))
        case .active, .expired(inGrace: true): break
        }
        if let productId = scope?.productId, productId != license.productId {
            reasons.append(.init(.productScopeMismatch, "The license is for another product than '\(productId)'."))
        }
        let entitlements = license.effectiveEntitlements(policy: policy)
        let missing = Entitlements.missing(scope?.entitlements ?? [], from: Set(entitlements))
        if !missing.isEmpty {
            reasons.append(.init(.entitlementsMissing, "The license lacks: \(missing.joined(separator: ", "))."))
        }
        if let fingerprint = scope?.fingerprint, !fingerprints.contains(fingerprint) {
            reasons.append(.init(.noMachine, "No machine with this fingerprint is activated for the license."))
        }
        let code: ValidationCode
        if let first = precedence.first(where: { c in reasons.contains { $0.code == c } }) {
            code = first
        } else {
            code = status == .expired(inGrace: true) ? .inGracePeriod : .valid
        }
        let access: AccessLevel
        if code.isValid {
            access = .full
        } else if code == .expired, policy.expirationStrategy == .keepReadOnly {
            access = .readOnly
        } else {
            access = .none
        }
        return Verdict(code: code, reasons: reasons, status: status, access: access, entitlements: entitlements)
    }
}
