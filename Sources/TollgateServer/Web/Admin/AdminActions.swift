import Foundation
import HTTPTypes
import Hummingbird
import TollgateDomain

/// The admin portal's actions on one object: a GET shows what will happen and asks to confirm
/// (with the action's fields, if it has any), the POST does it through the API and goes back.
/// So every action works without JavaScript and none happens from a stray link.
struct AdminActions: Sendable {
    let pages: AdminPages

    struct Action: Sendable {
        /// The page's path under `/admin`, with `:id`-style parameters.
        var path: String
        var title: String
        var explanation: String
        var submit: String
        var fields: @Sendable (AdminPages, SignedIn, Request) async throws -> [FormField] = { _, _, _ in [] }
        var method: HTTPRequest.Method
        /// The API path, with `{id}`-style parameters from the page's path.
        var api: String
        var body: @Sendable (FormBody) -> [String: Any]? = { _ in nil }
        /// Where to go after, with the same parameters; `{back}` is the page's `back` parameter.
        var done: String
        var notice: String
        /// The notice from the API's answer instead (a secret shown once).
        var answerNotice: (@Sendable ([String: Any]) -> String)? = nil
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        for action in Self.actions {
            group.get(RouterPath(action.path)) { request, context in try await confirm(action, request, context) }
            group.post(RouterPath(action.path)) { request, context in try await perform(action, request, context) }
        }
    }

    func confirm(_ action: Action, _ request: Request, _ context: AppRequestContext, form: FormBody? = nil, errors: [String: String] = [:],
        problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response
    {
        let me = try await pages.sessions.require(request, .staff)
        var frame = pages.frame(me, title: fill(action.title, context), current: "")
        frame.problem = problem
        let fields = AdminPages.filled(try await action.fields(pages, me, request), from: form, errors: errors)
        let back = Self.back(request)
        let target = request.uri.path + (back.map { "?back=\($0.queryValue)" } ?? "")
        let values: [String: Any] = [
            "intro": fill(action.explanation, context),
            "forms": [PageForm(action: target, fields: fields, submit: action.submit, csrf: me.csrf)],
            "back": back ?? fill(action.done, context).components(separatedBy: "?").first ?? "/admin",
        ]
        return pages.renderer.page("form", frame: frame, values, status: status)
    }

    func perform(_ action: Action, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, form) = try await pages.form(request)
        let result = try await pages.submit(action.method, fill(action.api, context, encode: true), body: action.body(form), as: me)
        guard result.answer.ok else {
            if result.answer.status == .notFound { throw TollgateError.notFound(resource: "object", id: "") }
            return try await confirm(action, request, context, form: form, errors: result.errors, problem: result.problem, status: result.answer.status)
        }
        var done = fill(action.done, context).replacingOccurrences(of: "{back}", with: Self.back(request) ?? "/admin")
        done += (done.contains("?") ? "&" : "?") + "done=" + ((action.answerNotice?(result.answer.object) ?? action.notice).queryValue)
        throw PageRedirect(location: done)
    }

    /// `template` with every `{name}` replaced by the route's parameter `name`.
    func fill(_ template: String, _ context: AppRequestContext, encode: Bool = false) -> String {
        var text = template
        for (name, value) in context.parameters {
            let value = String(value)
            text = text.replacingOccurrences(of: "{\(name)}", with: encode ? (value.pathSegment) : value)
        }
        return text
    }

    /// The page to go back to: only a path of the admin portal.
    static func back(_ request: Request) -> String? {
        guard let back = request.uri.queryParameters.get("back"), back.hasPrefix("/admin"), !back.contains("//") else { return nil }
        return back
    }

    static let actions: [Action] = [
        Action(
            path: "licenses/:id/suspend", title: "Suspend license {id}?", explanation: "Validations answer SUSPENDED until it is reinstated.",
            submit: "Suspend", method: .post, api: "/v1/licenses/{id}/actions/suspend", done: "/admin/licenses/{id}", notice: "License suspended."),
        Action(
            path: "licenses/:id/reinstate", title: "Reinstate license {id}?", explanation: "Validations answer as before the suspension.",
            submit: "Reinstate", method: .post, api: "/v1/licenses/{id}/actions/reinstate", done: "/admin/licenses/{id}", notice: "License reinstated."),
        Action(
            path: "licenses/:id/renew", title: "Renew license {id}?", explanation: "Its expiry moves on by its policy's duration.", submit: "Renew",
            method: .post, api: "/v1/licenses/{id}/actions/renew", done: "/admin/licenses/{id}", notice: "License renewed."),
        Action(
            path: "licenses/:id/revoke", title: "Revoke license {id}?", explanation: "A revoked license cannot be reinstated; its machines stop validating.",
            submit: "Revoke for good", method: .post, api: "/v1/licenses/{id}/actions/revoke", done: "/admin/licenses/{id}", notice: "License revoked."),
        Action(
            path: "licenses/:id/change-policy", title: "Change the policy of license {id}", explanation: "The license takes the new policy's limits at once.",
            submit: "Change policy",
            fields: { pages, me, request in
                [FormField(
                    name: "policyId", label: "New policy", kind: .select, options: try await options(pages, me, request, api: "/v1/policies", label: "name"),
                    required: true)]
            },
            method: .post, api: "/v1/licenses/{id}/actions/change-policy", body: { jsonBody($0, ["policyId"]) }, done: "/admin/licenses/{id}",
            notice: "Policy changed."),
        Action(
            path: "machines/:id/deactivate", title: "Deactivate machine {id}?", explanation: "Its seat is freed; the machine stops validating.",
            submit: "Deactivate", method: .delete, api: "/v1/machines/{id}", done: "{back}", notice: "Machine deactivated."),
        Action(
            path: "tokens/:id/revoke", title: "Revoke API token {id}?", explanation: "Every request with it is refused from now on.", submit: "Revoke",
            method: .delete, api: "/v1/tokens/{id}", done: "/admin/tokens", notice: "Token revoked."),
        Action(
            path: "keys/rotate", title: "Rotate the signing key?", explanation: "A new key signs from now on; the old one still verifies what it signed.",
            submit: "Rotate", method: .post, api: "/v1/keys/actions/rotate", done: "/admin/keys", notice: "Signing key rotated."),
        Action(
            path: "keys/:kid/retire", title: "Retire signing key {kid}?",
            explanation: "Licenses and files it signed stop verifying; clients that cached it keep it until they refresh.", submit: "Retire",
            method: .post, api: "/v1/keys/{kid}/actions/retire", done: "/admin/keys", notice: "Key retired."),
        Action(
            path: "users/:id/role", title: "Change the role of user {id}", explanation: "The new role applies to the user's next page.", submit: "Change role",
            fields: { _, _, _ in [FormField(name: "role", label: "Role", kind: .select, options: AdminController.roleOptions, required: true)] },
            method: .patch, api: "/v1/users/{id}", body: { jsonBody($0, ["role"]) }, done: "/admin/users/{id}", notice: "Role changed."),
        Action(
            path: "users/:id/disable", title: "Disable user {id}?", explanation: "The user is signed out everywhere and cannot sign in.", submit: "Disable",
            method: .patch, api: "/v1/users/{id}", body: { _ in ["status": "disabled"] }, done: "/admin/users/{id}", notice: "User disabled."),
        Action(
            path: "users/:id/enable", title: "Enable user {id}?", explanation: "The user can sign in again.", submit: "Enable", method: .patch,
            api: "/v1/users/{id}", body: { _ in ["status": "active"] }, done: "/admin/users/{id}", notice: "User enabled."),
        Action(
            path: "webhooks/:id/ping", title: "Send a ping to webhook endpoint {id}?",
            explanation: "A webhook_endpoint.pinged event goes to this endpoint alone, signed like every delivery; it shows in the log below within moments.",
            submit: "Send", method: .post, api: "/v1/webhook-endpoints/{id}/actions/ping", done: "/admin/webhooks/{id}", notice: "Ping sent."),
        Action(
            path: "webhooks/:id/rotate-secret", title: "Rotate the signing secret of webhook endpoint {id}?",
            explanation: "A new secret signs from now on; the old one keeps signing beside it for 24 hours, while the receiver switches.",
            submit: "Rotate", method: .post, api: "/v1/webhook-endpoints/{id}/actions/rotate-secret", done: "/admin/webhooks/{id}", notice: "Secret rotated.",
            answerNotice: { "Secret rotated. The new one, shown only this once: \(AdminPages.text($0["secret"]))" }),
        Action(
            path: "webhooks/:id/disable", title: "Disable webhook endpoint {id}?", explanation: "It gets no deliveries until it is enabled again.",
            submit: "Disable", method: .patch, api: "/v1/webhook-endpoints/{id}", body: { _ in ["enabled": false] }, done: "/admin/webhooks/{id}",
            notice: "Endpoint disabled."),
        Action(
            path: "webhooks/:id/enable", title: "Enable webhook endpoint {id}?", explanation: "Events from now on are delivered to it again.",
            submit: "Enable", method: .patch, api: "/v1/webhook-endpoints/{id}", body: { _ in ["enabled": true] }, done: "/admin/webhooks/{id}",
            notice: "Endpoint enabled."),
        Action(
            path: "webhooks/:id/delete", title: "Delete webhook endpoint {id}?", explanation: "Its secret and its delivery log are deleted with it.",
            submit: "Delete", method: .delete, api: "/v1/webhook-endpoints/{id}", done: "/admin/webhooks", notice: "Endpoint deleted."),
        Action(
            path: "webhooks/:id/deliveries/:deliveryId/retry", title: "Retry delivery {deliveryId} now?",
            explanation: "A pending delivery is tried at once and keeps its schedule; one that ended is sent once more, and that attempt ends it again.",
            submit: "Retry", method: .post, api: "/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/actions/retry",
            done: "/admin/webhooks/{id}/deliveries/{deliveryId}", notice: "Retry under way."),
    ]
}
