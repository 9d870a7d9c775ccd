import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// What `POST /v1/tokens` asks for.
struct APITokenDraft: Codable, Sendable {
    var name: String
    var role: Role
    /// After this the token is refused; it must be in the future. Without it the token never expires.
    var expiresAt: Date?
    /// Confines the token to this product's objects (``ProductScope``); without it, the account.
    var productId: String?

    static let fields: Set<String> = ["name", "role", "expiresAt", "productId"]
}

/// Creates API tokens: a role the caller may hand out (``Role/mayGrant(_:)``), a fresh secret
/// shown once, its keyed hash stored, and the change in the logs.
enum APITokenIssuer {
    static func issue(_ draft: APITokenDraft, by caller: APIToken, session: StoreSession, now: Date) async throws -> (token: APIToken, secret: String) {
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else {
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "name", message: "'name' must be 1 to 100 characters.")
        }
        guard caller.role.mayGrant(draft.role) else {
            throw TollgateError.forbidden(
                code: RequestCode.permissionDenied,
                message: "A '\(caller.role.rawValue)' token cannot create a '\(draft.role.rawValue)' token: that role can do more than it.")
        }
        if let expiresAt = draft.expiresAt, expiresAt <= now {
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "expiresAt", message: "'expiresAt' must be in the future.")
        }
        if let productId = draft.productId, try await session.products.find(id: productId, accountId: caller.accountId) == nil {
            throw TollgateError.invalid(code: RequestCode.referenceNotFound, field: "productId", message: "No product '\(productId)' in this account.")
        }
        let secret = APIToken.generateSecret(role: draft.role)
        let token = APIToken(
            id: Identifier.make(.token, at: now), accountId: caller.accountId, name: name, role: draft.role,
            prefix: String(secret.prefix(APIToken.prefixLength)), expiresAt: draft.expiresAt, productId: draft.productId, createdAt: now)
        try await session.tokens.insert(token, secretHash: APIToken.hash(secret: secret))
        try await ChangeLog.record(
            session, accountId: token.accountId, actor: caller.id, type: "token.created", objectType: "token", objectId: token.id,
            before: nil as APIToken?, after: token, state: APITokenView(token, lastUsedAt: nil), at: now)
        return (token, secret)
    }
}
