import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Staff users (`/v1/users`, `users.manage`) and customer users (`/v1/customers/{id}/users`,
/// `customers.write` / `customers.read`): invite, list, change, invite again.
struct UserController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let limits: BodyLimits
    let configuration: ServerConfiguration
    let notifications: NotificationPlanner

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        let managing = group.permitting(.usersManage)
        managing.post("users") { request, context in try await invite(request, context, kind: .staff) }
        managing.get("users") { request, context in try await list(request, context, kind: .staff) }
        managing.get("users/:id") { request, context in try await show(request, context) }
        managing.patch("users/:id") { request, context in try await change(request, context) }
        managing.post("users/:id/invitation") { request, context in try await reinvite(request, context) }
        group.permitting(.customersWrite).post("customers/:id/users") { request, context in try await invite(request, context, kind: .customer) }
        group.permitting(.customersRead).get("customers/:id/users") { request, context in try await list(request, context, kind: .customer) }
    }

    func links(_ request: Request) -> UserInviter.Links {
        UserInviter.Links(
            base: configuration.publicBase(host: request.head.authority ?? "\(configuration.host):\(configuration.port)"), days: configuration.invitationDays,
            notifications: notifications)
    }

    func invite(_ request: Request, _ context: AuthenticatedContext, kind: User.Kind) async throws -> Response {
        let body = try await JSONBody.read(
            request, limit: limits.maxBodyBytes, allowedFields: kind == .staff ? UserDraft.staffFields : UserDraft.customerFields)
        let draft = try body.decode(UserDraft.self)
        let customerId = kind == .customer ? try context.parameters.require("id") : nil
        let (caller, links) = (context.token, links(request))
        let view = try await writer.write(accountId: caller.accountId) { session, now in
            try await UserInviter.invite(draft, kind: kind, customerId: customerId, by: caller, links: links, session: session, now: now)
        }
        return try Response.json(status: .created, view)
    }

    func list(_ request: Request, _ context: AuthenticatedContext, kind: User.Kind) async throws -> Response {
        let page = try request.pageRequest()
        let accountId = context.accountId
        let customerId = kind == .customer ? try context.parameters.require("id") : nil
        let result = try await store.read { session -> Page<User> in
            if let customerId, try await session.customers.find(id: customerId, accountId: accountId) == nil {
                throw TollgateError.notFound(resource: "customer", id: customerId)
            }
            return try await session.users.list(accountId: accountId, kind: kind, customerId: customerId, page: page)
        }
        return try Response.json(PageBody(data: result.items.map { UserView($0) }, nextCursor: result.nextCursor))
    }

    func show(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let (id, accountId) = (try context.parameters.require("id"), context.accountId)
        guard let user = try await store.read({ try await $0.users.find(id: id, accountId: accountId) }), user.kind == .staff else {
            throw TollgateError.notFound(resource: "user", id: id)
        }
        return try Response.json(UserView(user))
    }

    func change(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: UserChange.fields)
        let change = try body.decode(UserChange.self)
        let (id, caller) = (try context.parameters.require("id"), context.token)
        let view = try await writer.write(accountId: caller.accountId) { session, now in
            try await UserEditor.change(id: id, change, by: caller, session: session, now: now)
        }
        return try Response.json(view)
    }

    func reinvite(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let (id, caller, links) = (try context.parameters.require("id"), context.token, links(request))
        let view = try await writer.write(accountId: caller.accountId) { session, now in
            try await UserInviter.reinvite(id: id, by: caller, links: links, session: session, now: now)
        }
        return try Response.json(status: .created, view)
    }
}
