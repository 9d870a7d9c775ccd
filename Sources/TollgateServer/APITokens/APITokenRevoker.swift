import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Revokes API tokens. A caller revokes only tokens whose role it could hand out, and the
/// account's last owner credential stays: without it nobody could manage the account. A second
/// owner token, or an owner who has joined the admin portal, lets the last owner token go. Every replica refuses a revoked token within
/// the bound of its caches (``APITokenCache``), as it refuses a suspended license.
enum APITokenRevoker {
    static func revoke(id: String, by caller: APIToken, session: StoreSession, now: Date) async throws -> APITokenView {
        guard let listed = try await session.tokens.find(id: id, accountId: caller.accountId) else {
            throw TollgateError.notFound(resource: "token", id: id)
        }
        let token = listed.token
        guard caller.role.mayGrant(token.role) else {
            throw TollgateError.forbidden(
                code: RequestCode.permissionDenied, message: "A '\(caller.role.rawValue)' token cannot revoke a '\(token.role.rawValue)' token.")
        }
        if token.role == .owner, try await session.tokens.count(accountId: caller.accountId, role: .owner) <= 1,
            try await session.users.activeOwners(accountId: caller.accountId) == 0
        {
            throw TollgateError.conflict(
                code: TokenCode.lastOwner,
                message: "This is the account's last owner credential; create another owner token, or let an owner join the admin portal, before revoking it.")
        }
        guard try await session.tokens.revoke(id: id, accountId: caller.accountId, at: now) else {
            throw TollgateError.notFound(resource: "token", id: id)
        }
        let view = APITokenView(listed)
        try await ChangeLog.record(
            session, accountId: caller.accountId, actor: caller.id, type: "token.revoked", objectType: "token", objectId: id,
            before: token, after: nil as APIToken?, state: view, at: now)
        return view
    }
}
