import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// `GET /v1/events`: the account's event log in the order the changes committed (ascending
/// `sequence`), with cursor pagination, so that a reader can follow it from any point.
/// Filters: `type` (exact, or `license.*` for every type of a prefix), `objectId`, and `after`
/// (a sequence number: only later events).
struct EventController: Sendable {
    let store: Store

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.permitting(.eventsRead).get("events") { request, context in
            let page = try request.pageRequest()
            if let cursor = page.after, Int64(cursor) == nil {
                throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'cursor' must be a previous page's nextCursor.", field: "cursor")
            }
            var after: Int64?
            if let text = request.queryString("after") {
                guard let sequence = Int64(text), sequence >= 0 else {
                    throw TollgateError.malformed(code: RequestCode.invalidParameter, message: "'after' must be an event's sequence number.", field: "after")
                }
                after = sequence
            }
            var type = request.queryString("type")
            if let text = type, EventTypeFilter(text) == nil {
                throw TollgateError.malformed(
                    code: RequestCode.invalidParameter, message: "'type' must be an event type such as license.suspended, or a prefix such as license.*.", field: "type")
            }
            if type == "*" { type = nil }
            let objectId = request.queryString("objectId")
            let (accountId, start, filter) = (context.accountId, after, type)
            let result = try await store.read { try await $0.events.list(accountId: accountId, type: filter, objectId: objectId, after: start, page: page) }
            return try Response.json(PageBody(data: result.items, nextCursor: result.nextCursor))
        }
    }
}
