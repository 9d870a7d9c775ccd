import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `/v1/webhook-endpoints`: the account's webhook endpoints (``WebhookEndpointEditor``). The
/// signing secret is in the answers to creation and rotation only.
struct WebhookEndpointController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let limits: BodyLimits
    let editor: WebhookEndpointEditor

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        let managing = group.permitting(.webhooksManage)
        managing.post("webhook-endpoints") { request, context in try await create(request, context) }
        managing.get("webhook-endpoints") { request, context in try await list(request, context) }
        managing.get("webhook-endpoints/:id") { request, context in try await show(request, context) }
        managing.patch("webhook-endpoints/:id") { request, context in try await update(request, context) }
        managing.delete("webhook-endpoints/:id") { request, context in try await delete(request, context) }
        managing.post("webhook-endpoints/:id/actions/rotate-secret") { request, context in try await rotate(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: WebhookEndpointDraft.fields)
        let draft = try body.decode(WebhookEndpointDraft.self)
        let (accountId, actor, editor) = (context.accountId, context.actor, editor)
        let view = try await writer.write(accountId: accountId) { session, now in
            try await editor.create(draft, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(status: .created, view)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { try await $0.webhookEndpoints.list(accountId: accountId, page: page) }
        return try Response.json(PageBody(data: result.items.map { WebhookEndpointView($0) }, nextCursor: result.nextCursor))
    }

    func show(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let accountId = context.accountId
        let endpoint = try await store.read { try await WebhookEndpointEditor.find(id: id, accountId: accountId, session: $0) }
        return try Response.json(WebhookEndpointView(endpoint))
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: WebhookEndpointPatch.fields)
        let patch = try body.decode(WebhookEndpointPatch.self)
        let (accountId, actor, editor) = (context.accountId, context.actor, editor)
        let view = try await writer.write(accountId: accountId) { session, now in
            try await editor.update(id: id, patch, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(view)
    }

    func delete(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (accountId, actor, editor) = (context.accountId, context.actor, editor)
        let view = try await writer.write(accountId: accountId) { session, now in
            try await editor.delete(id: id, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(view)
    }

    func rotate(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (accountId, actor, editor) = (context.accountId, context.actor, editor)
        let view = try await writer.write(accountId: accountId) { session, now in
            try await editor.rotateSecret(id: id, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(view)
    }
}
