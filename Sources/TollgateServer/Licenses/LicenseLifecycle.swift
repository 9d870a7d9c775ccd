import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Suspends, reinstates, renews, revokes or moves a license to another policy through
/// ``LicenseStateMachine``, storing the result and recording the change.
enum LicenseLifecycle {
    static func apply(
        _ name: LicenseController.ActionName, newPolicyId: String?, to id: String, accountId: String, actor: String, session: StoreSession, now: Date
    ) async throws -> LicenseView {
        guard let license = try await session.licenses.find(id: id, accountId: accountId) else {
            throw TollgateError.notFound(resource: "license", id: id)
        }
        guard let policy = try await session.policies.find(id: license.policyId, accountId: accountId) else {
            throw TollgateError.notFound(resource: "policy", id: license.policyId)
        }
        let action: LicenseAction
        var resultingPolicy = policy
        switch name {
        case .suspend: action = .suspend
        case .reinstate: action = .reinstate
        case .renew: action = .renew
        case .revoke: action = .revoke
        case .changePolicy:
            guard let newPolicyId, let newPolicy = try await session.policies.find(id: newPolicyId, accountId: accountId) else {
                throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "policyId", message: "No policy '\(newPolicyId ?? "")' exists in this account.")
            }
            action = .changePolicy(newPolicy)
            resultingPolicy = newPolicy
        }
        let updated = try LicenseStateMachine.apply(action, to: license, policy: policy, now: now)
        try await session.licenses.update(updated)
        let view = LicenseView(updated, policy: resultingPolicy, now: now)
        try await ChangeLog.record(
            session, accountId: accountId, actor: actor, type: action.auditAction, objectType: "license",
            objectId: id, before: license, after: updated, state: view, at: now)
        return view
    }
}
