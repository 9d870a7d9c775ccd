import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET/POST /v1/products/{id}/entitlements`: a product's catalogue of feature codes.
struct EntitlementController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let limits: BodyLimits

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.catalogWrite).post("products/:id/entitlements") { request, context in try await create(request, context) }
        group.permitting(.catalogRead).get("products/:id/entitlements") { request, context in try await list(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let productId = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: ["code", "description"])
        let draft = try body.decode(EntitlementDraft.self)
        let accountId = context.accountId
        let actor = context.actor
        let entitlement = try await writer.write(accountId: accountId) { session, now in
            guard try await session.products.find(id: productId, accountId: accountId) != nil else {
                throw TollgateError.notFound(resource: "product", id: productId)
            }
            return try await EntitlementCatalogue.insert(draft, productId: productId, accountId: accountId, actor: actor, session: session, now: now)
        }
        return try Response.json(status: .created, entitlement)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let productId = try context.parameters.require("id")
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { session -> Page<Entitlement> in
            guard try await session.products.find(id: productId, accountId: accountId) != nil else {
                throw TollgateError.notFound(resource: "product", id: productId)
            }
            return try await session.entitlements.list(accountId: accountId, productId: productId, page: page)
        }
        return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
    }
}
