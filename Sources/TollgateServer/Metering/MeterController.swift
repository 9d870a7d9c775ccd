import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `POST /v1/meters`, `GET /v1/meters`, `GET /v1/meters/{id}`: what the account meters.
struct MeterController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let limits: BodyLimits

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.catalogWrite).post("meters") { request, context in try await create(request, context) }
        group.permitting(.catalogRead).get("meters") { request, context in try await list(request, context) }
        group.permitting(.catalogRead).get("meters/:id") { request, context in try await show(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(
            request, limit: limits.maxBodyBytes,
            allowedFields: ["code", "name", "description", "aggregation", "property", "filters", "groupBy", "percentiles", "kind", "allowedProperties"])
        let draft = try body.decode(MeterDraft.self)
        let (accountId, actor) = (context.accountId, context.actor)
        let meter = try await writer.write(accountId: accountId) { session, now in
            try await MeterCatalogue.create(draft, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(status: .created, meter)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { try await $0.meters.list(accountId: accountId, page: page) }
        return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
    }

    func show(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let accountId = context.accountId
        guard let meter = try await store.read({ try await $0.meters.find(id: id, accountId: accountId) }) else {
            throw TollgateError.notFound(resource: "meter", id: id)
        }
        return try Response.json(meter)
    }
}
