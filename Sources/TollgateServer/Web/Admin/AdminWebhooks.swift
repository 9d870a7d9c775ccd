import Foundation
import Hummingbird
import TollgateDomain

/// The admin portal's page of one webhook endpoint (its settings, its actions and its delivery
/// log) and of one delivery (every attempt, and a retry). The list and the creation form are
/// ``AdminController``'s, the confirmed actions ``AdminActions``'.
struct AdminWebhooks: Sendable {
    let pages: AdminPages
    typealias Column = AdminPages.Column

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("webhooks/:id") { request, context in try await endpoint(request, context) }
        group.get("webhooks/:id/deliveries/:deliveryId") { request, context in try await delivery(request, context) }
    }

    func endpoint(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        let encoded = try context.parameters.require("id").pathSegment
        let endpoint = try await pages.get("/v1/webhook-endpoints/\(encoded)", as: me, request: request)
        let here = "/admin/webhooks/\(encoded)"
        let enabled = AdminPages.text(endpoint["status"]) == "enabled"
        let actions = [
            ["href": "\(here)/ping", "label": "Send a ping"], ["href": "\(here)/rotate-secret", "label": "Rotate the secret"],
            enabled ? ["href": "\(here)/disable", "label": "Disable"] : ["href": "\(here)/enable", "label": "Enable"],
            ["href": "\(here)/delete", "label": "Delete"],
        ]
        let facts = [
            ("URL", "url"), ("Event types", "eventTypes"), ("Status", "status"), ("Why disabled", "disabledReason"), ("Description", "description"),
            ("Created", "createdAt"), ("Changed", "updatedAt"),
        ].map { ["label": $0.0, "value": AdminPages.text(endpoint[$0.1]).nilIfEmpty ?? "—"] }
        let states = ["pending", "delivering", "succeeded", "failed"]
        var query = AdminPages.query(request, ["state", "after"]).mapKeys { $0 == "after" ? "cursor" : $0 }
        if let state = query["state"], !states.contains(state) { query["state"] = nil }
        let answer = try await pages.get("/v1/webhook-endpoints/\(encoded)/deliveries", query: query, as: me, request: request)
        let log = AdminPages.table(
            answer, caption: "Deliveries" + (query["state"].map { " (\($0))" } ?? ""),
            columns: [
                Column(heading: "Delivery", key: "id", link: "\(here)/deliveries/{id}"), Column(heading: "Event", key: "eventType"),
                Column(heading: "#", key: "eventSequence"), Column(heading: "State", key: "state", badge: true),
                Column(heading: "Attempts", key: "attemptCount"), Column(heading: "Last status", key: "lastStatus"),
                Column(heading: "Last error", key: "lastError", prefix: 80), Column(heading: "Next attempt", key: "nextAttemptAt"),
            ], page: here, query: query.filter { $0.key == "state" })
        let filters = [["href": here, "label": "All deliveries"]] + states.map { ["href": "\(here)?state=\($0)", "label": $0.capitalized] }
        let values: [String: Any] = [
            "actions": actions, "facts": facts, "sections": [log], "filters": filters, "hasFilters": true,
            "back": ["href": "/admin/webhooks", "label": "All webhook endpoints"],
        ]
        let frame = pages.frame(
            me, title: "Webhook endpoint \(AdminPages.text(endpoint["id"]))", current: "/admin/webhooks", notice: request.uri.queryParameters.get("done"))
        return pages.renderer.page("detail", frame: frame, values)
    }

    func delivery(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        let encoded = try context.parameters.require("id").pathSegment
        let deliveryId = try context.parameters.require("deliveryId")
        let delivery = try await pages.get("/v1/webhook-endpoints/\(encoded)/deliveries/\(deliveryId.pathSegment)", as: me, request: request)
        let here = "/admin/webhooks/\(encoded)/deliveries/\(deliveryId.pathSegment)"
        let facts = [
            ("Event", "eventId"), ("Type", "eventType"), ("Sequence", "eventSequence"), ("State", "state"), ("Attempts", "attemptCount"),
            ("Next attempt", "nextAttemptAt"), ("Sent again by hand", "manual"), ("Created", "createdAt"), ("Changed", "updatedAt"),
        ].map { ["label": $0.0, "value": AdminPages.text(delivery[$0.1]).nilIfEmpty ?? "—"] }
        let attempts = AdminPages.table(
            ["data": delivery["attempts"] ?? []], caption: "Attempts",
            columns: [
                Column(heading: "#", key: "number"), Column(heading: "When", key: "at"), Column(heading: "Status", key: "status"),
                Column(heading: "Duration (ms)", key: "durationMs"), Column(heading: "Error", key: "error"), Column(heading: "Answer", key: "response", prefix: 200),
            ], page: here, query: [:])
        let values: [String: Any] = [
            "actions": [["href": "\(here)/retry", "label": "Retry now"]], "facts": facts, "sections": [attempts],
            "back": ["href": "/admin/webhooks/\(encoded)", "label": "The endpoint's deliveries"],
        ]
        let frame = pages.frame(me, title: "Delivery \(deliveryId)", current: "/admin/webhooks", notice: request.uri.queryParameters.get("done"))
        return pages.renderer.page("detail", frame: frame, values)
    }
}
