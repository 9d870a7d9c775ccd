import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Create, list, show and update for one ``ManagedResource`` under `/v1/<path>`.
struct ResourceController<Resource: ManagedResource>: Sendable {
    let path: String
    let writer: ChangeWriter
    let store: Store
    let limits: BodyLimits

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(Resource.writePermission).post(RouterPath(path)) { request, context in try await create(request, context) }
        group.permitting(Resource.readPermission).get(RouterPath(path)) { request, context in try await list(request, context) }
        group.permitting(Resource.readPermission).get(RouterPath("\(path)/:id")) { request, context in try await show(request, context) }
        group.permitting(Resource.writePermission).patch(RouterPath("\(path)/:id")) { request, context in try await update(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Resource.draftFields)
        let draft = try body.decode(Resource.Draft.self)
        return try await insert(draft, request: request, context: context, body: body)
    }

    /// Validates, inserts and audits a new object from `draft`; `prepare` runs first in the same
    /// transaction (a preset adds its entitlement codes to the catalogue there).
    func insert(
        _ draft: Resource.Draft, request: Request, context: AuthenticatedContext, body: JSONBody,
        prepare: @escaping @Sendable (StoreSession, Date) async throws -> Void = { _, _ in }
    ) async throws -> Response {
        let accountId = context.accountId
        let actor = context.actor
        let created = try await writer.write(accountId: accountId) { session, now in
            try await prepare(session, now)
            let value = try Resource.build(draft, id: Identifier.make(Resource.idKind, at: now), accountId: accountId, createdAt: now, now: now)
            try await Resource.checkReferences(value, session: session)
            do {
                try await Resource.table(session).insert(value)
            } catch StoreError.duplicate {
                throw Resource.duplicateError(value)
            }
            try await ChangeLog.record(
                session, accountId: accountId, actor: actor, type: "\(Resource.resourceName).created", objectType: Resource.resourceName,
                objectId: value.id, before: nil as Resource?, after: value, at: now)
            return value
        }
        return try Response.json(status: .created, created)
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { try await Resource.list($0, accountId: accountId, request: request, page: page) }
        return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
    }

    func show(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let accountId = context.accountId
        guard let value = try await store.read({ try await Resource.table($0).find(id: id, accountId: accountId) }) else {
            throw TollgateError.notFound(resource: Resource.resourceName, id: id)
        }
        return try Response.json(value)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Resource.draftFields)
        if let field = body.object.objectKeys.sorted().first(where: Resource.immutableFields.contains) {
            throw TollgateError.invalid(code: RequestCode.immutableField, field: field, message: "'\(field)' cannot be changed after creation.")
        }
        let accountId = context.accountId
        let actor = context.actor
        return try Response.json(try await writer.write(accountId: context.accountId) { session, now in
            let table = Resource.table(session)
            guard let current = try await table.find(id: id, accountId: accountId) else {
                throw TollgateError.notFound(resource: Resource.resourceName, id: id)
            }
            let draft = try body.merged(into: Resource.draft(of: current))
            let updated = try Resource.build(draft, id: current.id, accountId: accountId, createdAt: current.createdAt, now: now)
            var unchanged = updated
            unchanged.updatedAt = current.updatedAt
            guard unchanged != current else { return current }
            try await Resource.checkReferences(updated, session: session)
            do {
                try await table.update(updated)
            } catch StoreError.duplicate {
                throw Resource.duplicateError(updated)
            }
            try await ChangeLog.record(
                session, accountId: accountId, actor: actor, type: "\(Resource.resourceName).updated", objectType: Resource.resourceName,
                objectId: id, before: current, after: updated, at: now)
            return updated
        })
    }
}
