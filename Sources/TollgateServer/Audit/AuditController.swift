import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The audit log: `GET /v1/audit-events` (newest first, filter `objectId`) and
/// `GET /v1/audit-events/verify`, which recomputes the account's chain.
struct AuditController: Sendable {
    let store: Store

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.auditRead).get("audit-events") { request, context in
            let page = try request.pageRequest()
            if let cursor = page.after, Int64(cursor) == nil {
                throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'cursor' must be a previous page's nextCursor.", field: "cursor")
            }
            let objectId = request.queryString("objectId")
            let accountId = context.accountId
            let result = try await store.read { try await $0.audit.list(accountId: accountId, objectId: objectId, page: page) }
            return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
        }
        group.permitting(.auditRead).get("audit-events/verify") { _, context in
            let accountId = context.accountId
            let verification = try await store.read { session -> AuditChain.Verification in
                let head = try await session.accounts.auditHead(accountId: accountId)
                return AuditChain.verify(try await session.audit.chain(accountId: accountId), head: head)
            }
            return try Response.json(verification)
        }
    }
}
