import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Issues a license: checks the draft against its policy, customer and the product's catalogue,
/// signs the key with the account's current signing key, stores the license and records the
/// change, in the caller's write transaction.
enum LicenseIssuer {
    static func issue(
        _ draft: LicenseDraft, accountId: String, actor: String, signingKey: SigningKey, session: StoreSession, now: Date
    ) async throws -> LicenseView {
        guard let policy = try await session.policies.find(id: draft.policyId, accountId: accountId) else {
            throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "policyId", message: "No policy '\(draft.policyId)' exists in this account.")
        }
        guard try await session.customers.find(id: draft.customerId, accountId: accountId) != nil else {
            throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "customerId", message: "No customer '\(draft.customerId)' exists in this account.")
        }
        try LicenseDraft.requireKnownOverrides(draft.limitOverrides ?? [:], policy: policy)
        try await EntitlementCatalogue.requireKnown(draft.entitlements ?? [], productId: policy.productId, accountId: accountId, session: session)
        let expiresAt = draft.expiresAt ?? policy.durationDays.map { now.adding(days: $0) }
        if let expiresAt, expiresAt <= now {
            throw TollgateError.invalid(field: "expiresAt", message: "'expiresAt' must be in the future.")
        }
        let id = Identifier.make(.license, at: now)
        // Keys carry whole seconds; store the expiry the key carries.
        let expiry = expiresAt.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) }
        let key = try LicenseKey(keyId: signingKey.id, licenseId: id, productId: policy.productId, expiresAt: expiry).signed(with: signingKey)
        let license = License(
            id: id, accountId: accountId, productId: policy.productId, policyId: policy.id, customerId: draft.customerId, key: key,
            keyId: signingKey.id, state: .active, expiresAt: expiry, limitOverrides: draft.limitOverrides ?? [:],
            extraEntitlements: Array(Set(draft.entitlements ?? [])).sorted(), metadata: draft.metadata ?? [:], revocationVersion: 0,
            createdAt: now, updatedAt: now)
        try await session.licenses.insert(license)
        let view = LicenseView(license, policy: policy, now: now)
        try await ChangeLog.record(
            session, accountId: accountId, actor: actor, type: "license.created", objectType: "license", objectId: id,
            before: nil as License?, after: license, state: view, at: now)
        return view
    }
}
