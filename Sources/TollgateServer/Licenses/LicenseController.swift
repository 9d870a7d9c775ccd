import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Licenses: issue (signing the key), list with filters, show, update, lifecycle actions,
/// and the validation log of one license.
struct LicenseController: Sendable {
    let writer: ChangeWriter
    let store: Store
    let keys: KeyService
    let clock: any TollgateClock
    let limits: BodyLimits

    static let createFields: Set<String> = ["policyId", "customerId", "expiresAt", "limitOverrides", "entitlements", "metadata"]
    static let updateFields: Set<String> = ["expiresAt", "limitOverrides", "entitlements", "metadata"]

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.licensesCreate).post("licenses") { request, context in try await create(request, context) }
        group.permitting(.licensesRead).get("licenses") { request, context in try await list(request, context) }
        group.permitting(.licensesRead).get("licenses/:id") { request, context in try await show(request, context) }
        group.permitting(.licensesManage).patch("licenses/:id") { request, context in try await update(request, context) }
        // One route per action, so that each has its own entry (and body, or none) in the API document.
        for action in ActionName.allCases {
            group.permitting(action.permission).post(RouterPath("licenses/:id/actions/\(action.rawValue)")) { request, context in try await act(action, request, context) }
        }
        group.permitting(.licensesRead).get("licenses/:id/validations") { request, context in try await validations(request, context) }
    }

    func create(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.createFields)
        let draft = try body.decode(LicenseDraft.self)
        try draft.validate()
        let accountId = context.accountId
        let actor = context.actor
        let signingKey = try await keys.current(accountId: accountId)
        let issued = try await writer.write(accountId: accountId) { session, now in
            try await LicenseIssuer.issue(draft, accountId: accountId, actor: actor, signingKey: signingKey, session: session, now: now)
        }
        return try Response.json(status: .created, issued)
    }

    /// `q`: 1 to 100 characters to search for (``LicenseQuery/search``).
    static func search(_ request: Request) throws(TollgateError) -> String? {
        guard let q = request.queryString("q")?.trimmingCharacters(in: .whitespaces), !q.isEmpty else { return nil }
        guard q.count <= 100 else { throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'q' must be at most 100 characters.", field: "q") }
        return q
    }

    func list(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let page = try request.pageRequest()
        let now = clock.now()
        let query = LicenseQuery(
            customerId: request.queryString("customerId"), productId: request.queryString("productId"), policyId: request.queryString("policyId"),
            expiringBefore: try request.queryDate("expiringBefore"), status: try request.queryEnum("status", LicenseQuery.Status.self),
            search: try Self.search(request), now: now)
        let accountId = context.accountId
        let views = try await store.read { session -> Page<LicenseView> in
            let licenses = try await session.licenses.list(accountId: accountId, query: query, page: page)
            var policies: [String: Policy] = [:]
            return try await licenses.map { license in
                if policies[license.policyId] == nil { policies[license.policyId] = try await session.policies.find(id: license.policyId, accountId: accountId) }
                return LicenseView(license, policy: policies[license.policyId], now: now)
            }
        }
        return try Response.json(PageBody(data: views.items, nextCursor: views.nextCursor))
    }

    func show(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let accountId = context.accountId
        let now = clock.now()
        let view = try await store.read { session -> LicenseView in
            guard let license = try await session.licenses.find(id: id, accountId: accountId) else {
                throw TollgateError.notFound(resource: "license", id: id)
            }
            return LicenseView(license, policy: try await session.policies.find(id: license.policyId, accountId: accountId), now: now)
        }
        return try Response.json(view)
    }

    func update(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Self.updateFields)
        let accountId = context.accountId
        let actor = context.actor
        return try Response.json(try await writer.write(accountId: context.accountId) { session, now in
            try await LicenseEditor.update(id, with: body, accountId: accountId, actor: actor, session: session, now: now)
        })
    }

    /// The action names in the path.
    enum ActionName: String, APIEnum {
        case suspend, reinstate, renew, revoke
        case changePolicy = "change-policy"

        /// Suspending and reinstating is support's; the rest changes what was sold.
        var permission: Permission { self == .suspend || self == .reinstate ? .licensesSuspend : .licensesManage }
    }

    func act(_ name: ActionName, _ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.read(
            request, limit: limits.maxBodyBytes, allowedFields: name == .changePolicy ? ["policyId"] : [], requireBody: name == .changePolicy)
        struct ChangePolicy: Decodable { var policyId: String }
        let newPolicyId = name == .changePolicy ? try body.decode(ChangePolicy.self).policyId : nil
        let accountId = context.accountId
        let actor = context.actor
        return try Response.json(try await writer.write(accountId: accountId) { session, now in
            try await LicenseLifecycle.apply(name, newPolicyId: newPolicyId, to: id, accountId: accountId, actor: actor, session: session, now: now)
        })
    }

    func validations(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let page = try request.pageRequest()
        let accountId = context.accountId
        let result = try await store.read { session -> Page<ValidationEventTable.Event> in
            guard try await session.licenses.find(id: id, accountId: accountId) != nil else {
                throw TollgateError.notFound(resource: "license", id: id)
            }
            return try await session.validations.list(licenseId: id, accountId: accountId, page: page)
        }
        return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
    }
}
