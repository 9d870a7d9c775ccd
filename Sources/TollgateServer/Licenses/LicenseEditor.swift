import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Changes a license's expiry, overrides, extra entitlements and metadata (a JSON Merge Patch),
/// checking what the change adds against its policy and its product's catalogue.
enum LicenseEditor {
    static func update(_ id: String, with body: JSONBody, accountId: String, actor: String, session: StoreSession, now: Date) async throws -> LicenseView {
        guard let current = try await session.licenses.find(id: id, accountId: accountId) else {
            throw TollgateError.notFound(resource: "license", id: id)
        }
        let changes = try body.merged(into: LicenseUpdate(current))
        let updated = try changes.applied(to: current, now: now)
        // Only what this change adds is checked: a license keeps what it had before a change of policy.
        let addedOverrides = updated.limitOverrides.filter { current.limitOverrides[$0.key] == nil }
        if !addedOverrides.isEmpty, let policy = try await session.policies.find(id: current.policyId, accountId: accountId) {
            try LicenseDraft.requireKnownOverrides(addedOverrides, policy: policy)
        }
        try await EntitlementCatalogue.requireKnown(
            updated.extraEntitlements.filter { !current.extraEntitlements.contains($0) }, productId: current.productId, accountId: accountId,
            session: session)
        try await session.licenses.update(updated)
        let view = LicenseView(updated, policy: try await session.policies.find(id: updated.policyId, accountId: accountId), now: now)
        try await ChangeLog.record(
            session, accountId: accountId, actor: actor, type: "license.updated", objectType: "license", objectId: id,
            before: current, after: updated, state: view, at: now)
        return view
    }
}
