import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `POST /v1/tokens`, `GET /v1/tokens`, `DELETE /v1/tokens/{id}`: the account's API tokens
/// (``APITokenIssuer``, ``APITokenRevoker``). Listing never shows a secret.
struct APITokenController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let limits: BodyLimits

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        let managing = group.permitting(.tokensManage)
        managing.post("tokens") { request, context in try await create(request, context) }
        managing.get("tokens") { request, context in try await list(request, context) }
        managing.delete("tokens/:id") { request, context in try await revoke(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: APITokenDraft.fields)
        let draft = try body.decode(APITokenDraft.self)
        let caller = context.token
        let view = try await writer.write(accountId: caller.accountId) { session, now in
            let (token, secret) = try await APITokenIssuer.issue(draft, by: caller, session: session, now: now)
            return APITokenView(token, lastUsedAt: nil, secret: secret)
        }
        return try Response.json(status: .created, view)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { try await $0.tokens.list(accountId: accountId, page: page) }
        return try Response.json(PageBody(data: result.items.map(APITokenView.init), nextCursor: result.nextCursor))
    }

    func revoke(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = context.token
        let view = try await writer.write(accountId: caller.accountId) { session, now in
            try await APITokenRevoker.revoke(id: id, by: caller, session: session, now: now)
        }
        return try Response.json(view)
    }
}
