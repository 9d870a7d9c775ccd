import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateDomain
import TollgateFormats

/// `/portal`: a customer user's own licenses (status, expiry, entitlements, limits, usage against
/// quotas with charts), their machines (deactivate one to free a seat), license and machine files
/// to download, and air-gapped activation in the browser (a request file in, a machine file out).
///
/// Every call goes through the API in process as the user (``SignedIn/caller``), and every object
/// is first confined to the user's customer: another customer's license or machine answers 404.
struct PortalController: Sendable {
    let api: APIDispatcher
    let renderer: PageRenderer
    let sessions: PageSessions
    let limits: BodyLimits
    typealias Column = AdminPages.Column

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("") { request, _ in try await licenses(request) }
        group.get("licenses/:id") { request, context in try await license(request, context) }
        group.post("licenses/:id/license-file") { request, context in try await licenseFile(request, context) }
        group.get("licenses/:id/activate") { request, context in try await activatePage(request, context) }
        group.post("licenses/:id/activate") { request, context in try await activate(request, context) }
        group.get("machines/:id") { request, context in try await machinePage(request, context) }
        group.get("machines/:id/deactivate") { request, context in try await deactivatePage(request, context) }
        group.post("machines/:id/deactivate") { request, context in try await deactivate(request, context) }
        group.post("machines/:id/machine-file") { request, context in try await machineFile(request, context) }
    }

    func frame(_ me: SignedIn, title: String, notice: String? = nil) -> PageFrame {
        PageFrame(
            portal: "portal", title: title, nav: [NavLink(href: "/portal", label: "Licenses", current: title == "Your licenses")], userName: me.user.name,
            csrf: me.csrf, notice: notice)
    }

    func get(_ path: String, query: [String: String] = [:], as me: SignedIn) async throws -> [String: Any] {
        let answer = try await api.call(.get, path, query: query, as: me.caller, address: nil)
        try AdminPages.raise(answer)
        return answer.object
    }

    /// The license `id` when it is the user's customer's; 404 otherwise.
    func ownLicense(_ id: String, _ me: SignedIn) async throws -> [String: Any] {
        let answer = try await api.call(.get, "/v1/licenses/\(id.pathSegment)", as: me.caller, address: nil)
        guard answer.ok, answer.object["customerId"] as? String == me.user.customerId else { throw TollgateError.notFound(resource: "license", id: id) }
        return answer.object
    }

    /// The machine `id` when its license is the user's customer's; 404 otherwise.
    func ownMachine(_ id: String, _ me: SignedIn) async throws -> [String: Any] {
        let answer = try await api.call(.get, "/v1/machines/\(id.pathSegment)", as: me.caller, address: nil)
        guard answer.ok, let licenseId = answer.object["licenseId"] as? String else { throw TollgateError.notFound(resource: "machine", id: id) }
        _ = try await ownLicense(licenseId, me)
        return answer.object
    }


    func licenses(_ request: Request) async throws -> Response {
        let me = try await sessions.require(request, .customer)
        let query = ["customerId": me.user.customerId ?? "none"].merging(AdminPages.query(request, ["after"]).mapKeys { _ in "cursor" }) { $1 }
        let answer = try await get("/v1/licenses", query: query, as: me)
        let table = AdminPages.table(
            answer, caption: "Your licenses",
            columns: [
                Column(heading: "License", key: "id", link: "/portal/licenses/{id}"), Column(heading: "Status", key: "status", badge: true),
                Column(heading: "Tier", key: "tier"), Column(heading: "Expires", key: "expiresAt"),
            ], page: "/portal", query: [:])
        return renderer.page("table", frame: frame(me, title: "Your licenses", notice: request.uri.queryParameters.get("done")), ["table": table])
    }

    func license(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await sessions.require(request, .customer)
        let id = try context.parameters.require("id")
        let license = try await ownLicense(id, me)
        let encoded = id.pathSegment
        let limits = (license["effectiveLimits"] as? [String: Any]) ?? (license["limits"] as? [String: Any]) ?? [:]
        let facts: [[String: String]] = [
            ["label": "Status", "value": AdminPages.text(license["status"])], ["label": "Key", "value": AdminPages.text(license["key"])],
            ["label": "Tier", "value": AdminPages.text(license["tier"]).nilIfEmpty ?? "—"],
            ["label": "Expires", "value": AdminPages.text(license["expiresAt"]).nilIfEmpty ?? "never"],
            ["label": "Entitlements", "value": AdminPages.text(license["entitlements"]).nilIfEmpty ?? "—"],
            ["label": "Limits", "value": AdminPages.text(limits).nilIfEmpty ?? "—"],
        ]
        let quotaAnswer = try await api.call(.get, "/v1/licenses/\(encoded)/quotas", as: me.caller, address: nil)
        let quotas = quotaAnswer.ok ? (quotaAnswer.object["quotas"] as? [[String: Any]] ?? []).map(AdminDetails.quotaView) : []
        let machines = try await get("/v1/licenses/\(encoded)/machines", query: ["state": "active"], as: me)
        let table = AdminPages.table(
            machines, caption: "Machines",
            columns: [
                Column(heading: "Name", key: "name", link: "/portal/machines/{id}"), Column(heading: "Fingerprint", key: "fingerprint"),
                Column(heading: "Status", key: "status", badge: true), Column(heading: "Last heartbeat", key: "lastHeartbeatAt"),
                Column(heading: "Free the seat", key: "id", link: "/portal/machines/{id}/deactivate", fixed: "Deactivate…"),
            ], page: "/portal/licenses/\(encoded)", query: [:])
        let values: [String: Any] = [
            "facts": facts, "quotas": quotas, "machines": table,
            "actions": [["href": "/portal/licenses/\(encoded)/activate", "label": "Activate an air-gapped machine"]],
            "downloads": [PageForm(action: "/portal/licenses/\(encoded)/license-file", fields: [], submit: "Download the license file", csrf: me.csrf)],
        ]
        return renderer.page("license", frame: frame(me, title: "License \(id)", notice: request.uri.queryParameters.get("done")), values)
    }

    func licenseFile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, _) = try await form(request)
        let id = try context.parameters.require("id")
        _ = try await ownLicense(id, me)
        return try await checkOut("/v1/licenses/\(id.pathSegment)/actions/check-out", name: "\(id).lic", as: me)
    }

    func machineFile(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, _) = try await form(request)
        let id = try context.parameters.require("id")
        _ = try await ownMachine(id, me)
        return try await checkOut("/v1/machines/\(id.pathSegment)/actions/check-out", name: "\(id).machine", as: me)
    }

    /// A checked-out license or machine file, as a download.
    func checkOut(_ path: String, name: String, as me: SignedIn) async throws -> Response {
        let answer = try await api.call(.post, path, body: [String: Any](), as: me.caller, address: nil)
        try AdminPages.raise(answer)
        return Self.download(AdminPages.text(answer.object["file"]), name: name)
    }

    static func download(_ text: String, name: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(name)\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func activatePage(_ request: Request, _ context: AppRequestContext, error: String? = nil, value: String = "", status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let me = try await sessions.require(request, .customer)
        let id = try context.parameters.require("id")
        _ = try await ownLicense(id, me)
        let fields = [
            FormField(name: "requestFile", label: "The request file", kind: .file, hint: "Choose the file the air-gapped machine wrote; it fills the box below."),
            FormField(
                name: "request", label: "Or paste the request", kind: .textarea, value: value, required: true,
                hint: "From -----BEGIN TOLLGATE ACTIVATION REQUEST----- to the END line.", error: error),
        ]
        return renderer.page(
            "form", frame: frame(me, title: "Activate an air-gapped machine"),
            [
                "intro": "On the machine, run its app's offline activation: it writes a request file. Bring it here; you get its machine file back to carry to it.",
                "forms": [PageForm(action: "/portal/licenses/\(id.pathSegment)/activate", fields: fields, submit: "Activate and download the machine file", csrf: me.csrf)],
                "back": "/portal/licenses/\(id.pathSegment)",
            ], status: status)
    }

    func activate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, form) = try await form(request)
        let id = try context.parameters.require("id")
        _ = try await ownLicense(id, me)
        let text = form["request"] ?? ""
        guard let block = OfflineBlock<OfflineActivationRequest>.parse(text, label: OfflineActivationRequest.label) else {
            return try await activatePage(request, context, error: "This is not a Tollgate activation request.", value: text, status: .unprocessableContent)
        }
        guard block.body.licenseId == id else {
            return try await activatePage(request, context, error: "This request is for another license.", value: text, status: .unprocessableContent)
        }
        let answer = try await api.call(.post, "/v1/machines/offline-activations", body: ["request": text], as: me.caller, address: nil)
        guard answer.ok else {
            return try await activatePage(request, context, error: answer.error?.message ?? "Refused.", value: text, status: answer.status)
        }
        let machine = (answer.object["machine"] as? [String: Any])?["id"] as? String ?? "machine"
        return Self.download(AdminPages.text(answer.object["file"]), name: "\(machine).machine")
    }

    /// A machine: what the server knows of it, its machine file to download, deactivation.
    func machinePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await sessions.require(request, .customer)
        let id = try context.parameters.require("id")
        let machine = try await ownMachine(id, me)
        let intro = [("Fingerprint", "fingerprint"), ("Status", "status"), ("Platform", "platform"), ("Last heartbeat", "lastHeartbeatAt")]
            .map { "\($0.0): \(AdminPages.text(machine[$0.1]).nilIfEmpty ?? "—")" }.joined(separator: " · ")
        return renderer.page(
            "form", frame: frame(me, title: "Machine \(AdminPages.text(machine["name"]).nilIfEmpty ?? id)"),
            [
                "intro": intro,
                "forms": [PageForm(action: "/portal/machines/\(id.pathSegment)/machine-file", fields: [], submit: "Download its machine file", csrf: me.csrf)],
                "links": [["href": "/portal/machines/\(id.pathSegment)/deactivate", "label": "Deactivate…"]],
                "back": "/portal/licenses/\(AdminPages.text(machine["licenseId"]).pathSegment)",
            ])
    }

    func deactivatePage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await sessions.require(request, .customer)
        let id = try context.parameters.require("id")
        let machine = try await ownMachine(id, me)
        return renderer.page(
            "form", frame: frame(me, title: "Deactivate \(AdminPages.text(machine["name"]).nilIfEmpty ?? id)?"),
            [
                "intro": "The machine stops validating and its seat is free for another.",
                "forms": [PageForm(action: "/portal/machines/\(id.pathSegment)/deactivate", fields: [], submit: "Deactivate", csrf: me.csrf)],
                "back": "/portal/licenses/\(AdminPages.text(machine["licenseId"]).pathSegment)",
            ])
    }

    func deactivate(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, _) = try await form(request)
        let id = try context.parameters.require("id")
        let machine = try await ownMachine(id, me)
        let answer = try await api.call(.delete, "/v1/machines/\(id.pathSegment)", as: me.caller, address: nil)
        try AdminPages.raise(answer)
        throw PageRedirect(location: "/portal/licenses/\(AdminPages.text(machine["licenseId"]).pathSegment)?done=Machine%20deactivated%3B%20its%20seat%20is%20free.")
    }

    func form(_ request: Request) async throws -> (SignedIn, FormBody) {
        let me = try await sessions.require(request, .customer)
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        try PageSessions.checkCSRF(form, expected: me.csrf)
        return (me, form)
    }
}
