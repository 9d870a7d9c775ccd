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
        managing.post("webhook-endpoints/:id/actions/ping") { request, context in try await ping(request, context) }
        managing.get("webhook-endpoints/:id/deliveries") { request, context in try await deliveries(request, context) }
        managing.get("webhook-endpoints/:id/deliveries/:deliveryId") { request, context in try await delivery(request, context) }
        managing.post("webhook-endpoints/:id/deliveries/:deliveryId/actions/retry") { request, context in try await retry(request, context) }
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

    /// Writes a `webhook_endpoint.pinged` event, which the deliverer sends to this endpoint alone.
    func ping(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (accountId, actor, editor) = (context.accountId, context.actor, editor)
        let view = try await writer.write(accountId: accountId) { session, now in
            try await editor.ping(id: id, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(status: .accepted, view)
    }

    /// The endpoint's deliveries, newest first, each with its attempts; `state` filters.
    func deliveries(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let page = try request.pageRequest()
        let state = try request.queryEnum("state", WebhookDeliveryTable.Delivery.State.self)
        let accountId = context.accountId
        let result = try await store.read { session in
            _ = try await WebhookEndpointEditor.find(id: id, accountId: accountId, session: session)
            let deliveries = try await session.webhookDeliveries.page(accountId: accountId, endpointId: id, state: state, page: page)
            let attempts = try await session.webhookDeliveries.attempts(of: deliveries.items.map(\.id), accountId: accountId)
            return Page(items: deliveries.items.map { WebhookDeliveryView($0, attempts: attempts[$0.id] ?? []) }, nextCursor: deliveries.nextCursor)
        }
        return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
    }

    func delivery(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let (id, deliveryId) = (try context.parameters.require("id"), try context.parameters.require("deliveryId"))
        let accountId = context.accountId
        let view = try await store.read { session in
            try await Self.deliveryView(id: deliveryId, endpointId: id, accountId: accountId, session: session)
        }
        return try Response.json(view)
    }

    /// Makes a delivery due now: one still on its schedule is tried at once, one that ended is
    /// sent once more (that attempt ends it again, whatever the answer). Not audited: it changes
    /// when a message goes, not the account's data.
    func retry(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let (id, deliveryId) = (try context.parameters.require("id"), try context.parameters.require("deliveryId"))
        let accountId = context.accountId
        let view = try await writer.write(accountId: accountId, lock: .rows) { session, now in
            let endpoint = try await WebhookEndpointEditor.find(id: id, accountId: accountId, session: session)
            guard endpoint.status == .enabled else {
                throw TollgateError.conflict(code: WebhookCode.endpointDisabled, message: "The endpoint is disabled; enable it before retrying its deliveries.")
            }
            guard let delivery = try await session.webhookDeliveries.retry(id: deliveryId, accountId: accountId, endpointId: id, at: now) else {
                throw TollgateError.notFound(resource: "webhook delivery", id: deliveryId)
            }
            guard delivery.state != .delivering else {
                throw TollgateError.conflict(code: WebhookCode.deliveryInProgress, message: "An attempt of this delivery is under way; retry when it ends.")
            }
            let attempts = try await session.webhookDeliveries.attempts(of: [deliveryId], accountId: accountId)
            return WebhookDeliveryView(delivery, attempts: attempts[deliveryId] ?? [])
        }
        return try Response.json(status: .accepted, view)
    }

    static func deliveryView(id: String, endpointId: String, accountId: String, session: StoreSession) async throws -> WebhookDeliveryView {
        _ = try await WebhookEndpointEditor.find(id: endpointId, accountId: accountId, session: session)
        guard let delivery = try await session.webhookDeliveries.find(id: id, accountId: accountId, endpointId: endpointId) else {
            throw TollgateError.notFound(resource: "webhook delivery", id: id)
        }
        let attempts = try await session.webhookDeliveries.attempts(of: [id], accountId: accountId)
        return WebhookDeliveryView(delivery, attempts: attempts[id] ?? [])
    }
}
