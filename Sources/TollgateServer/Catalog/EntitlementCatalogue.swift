import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The rule that policies and licenses grant only codes of their product's catalogue.
enum EntitlementCatalogue {
    /// Throws 422 `UNKNOWN_ENTITLEMENT` naming the first code (other than `*`) that
    /// `productId`'s catalogue lacks.
    static func requireKnown(_ codes: [String], productId: String, accountId: String, session: StoreSession, field: String = "entitlements") async throws {
        let wanted = codes.filter { $0 != Entitlements.all }
        guard !wanted.isEmpty else { return }
        let known = try await session.entitlements.codes(accountId: accountId, productId: productId)
        if let unknown = wanted.sorted().first(where: { !known.contains($0) }) {
            throw TollgateError.invalid(
                code: CatalogCode.unknownEntitlement, field: field,
                message: "Entitlement '\(unknown)' is not in the catalogue of product '\(productId)'; add it with POST /v1/products/\(productId)/entitlements.")
        }
    }

    /// Adds the codes `productId`'s catalogue lacks (a preset's), recording each addition.
    static func add(
        _ entries: [(code: String, description: String)], productId: String, accountId: String, actor: String, session: StoreSession, now: Date
    ) async throws {
        let known = try await session.entitlements.codes(accountId: accountId, productId: productId)
        for entry in entries where !known.contains(entry.code) {
            try await insert(EntitlementDraft(code: entry.code, description: entry.description), productId: productId, accountId: accountId, actor: actor, session: session, now: now)
        }
    }

    /// Adds one code to `productId`'s catalogue and records it; 409 `ENTITLEMENT_CODE_TAKEN` when
    /// the product has it.
    @discardableResult
    static func insert(
        _ draft: EntitlementDraft, productId: String, accountId: String, actor: String, session: StoreSession, now: Date
    ) async throws -> Entitlement {
        let entitlement = try draft.validated(id: Identifier.make(.entitlement, at: now), accountId: accountId, productId: productId, now: now)
        do {
            try await session.entitlements.insert(entitlement)
        } catch StoreError.duplicate {
            throw TollgateError.conflict(
                code: CatalogCode.entitlementCodeTaken, message: "Product '\(productId)' has an entitlement '\(draft.code)' already.", field: "code")
        }
        try await ChangeLog.record(
            session, accountId: accountId, actor: actor, type: "entitlement.created", objectType: "entitlement", objectId: entitlement.id,
            before: nil as Entitlement?, after: entitlement, at: now)
        return entitlement
    }
}
