import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TollgateDomain

/// The admin portal's pages of one object (a license, a customer, a user), the audit chain's
/// verification, the licenses' bulk actions and CSV export.
struct AdminDetails: Sendable {
    let pages: AdminPages
    typealias Column = AdminPages.Column

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("licenses/:id") { request, context in try await license(request, context) }
        group.post("licenses/bulk") { request, _ in try await bulk(request) }
        group.get("licenses.csv") { request, _ in try await export(request) }
        group.get("customers/:id") { request, context in try await customer(request, context) }
        group.post("customers/:id/users") { request, context in try await inviteCustomerUser(request, context) }
        group.get("users/:id") { request, context in try await user(request, context) }
        group.post("users/:id/invitation") { request, context in try await reinvite(request, context) }
        group.get("audit/verify") { request, _ in try await verify(request) }
    }

    /// A section of a detail page: a heading and a table, or why it is not shown.
    func section(_ me: SignedIn, _ request: Request, api: String, query: [String: String] = [:], caption: String, columns: [Column], page: String)
        async throws -> PageTable?
    {
        let answer = try await pages.api.call(.get, api, query: query, as: me.caller, address: nil)
        // A section the role may not read is left out rather than refusing the whole page.
        guard answer.ok else { return answer.status == .forbidden ? nil : PageTable(caption: caption, headings: [], rows: [], empty: answer.error?.message ?? "") }
        return AdminPages.table(answer.object, caption: caption, columns: columns, page: page, query: query)
    }

    func license(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        let id = try context.parameters.require("id")
        let encoded = id.pathSegment
        let license = try await pages.get("/v1/licenses/\(encoded)", as: me, request: request)
        let role = me.user.role ?? .readOnly
        let here = "/admin/licenses/\(encoded)"
        let back = "?back=" + (here.queryValue)
        var actions: [[String: String]] = []
        if role.allows(.licensesSuspend) {
            actions.append(["href": "\(here)/suspend", "label": "Suspend"])
            actions.append(["href": "\(here)/reinstate", "label": "Reinstate"])
        }
        if role.allows(.licensesManage) {
            actions += [["href": "\(here)/renew", "label": "Renew"], ["href": "\(here)/change-policy", "label": "Change policy"], ["href": "\(here)/revoke", "label": "Revoke"]]
        }
        let machineColumns = [
            Column(heading: "Name", key: "name"), Column(heading: "Fingerprint", key: "fingerprint"), Column(heading: "Status", key: "status", badge: true),
            Column(heading: "Last heartbeat", key: "lastHeartbeatAt"),
        ] + (role.allows(.machinesDeactivate) ? [Column(heading: "Deactivate", key: "id", link: "/admin/machines/{id}/deactivate\(back)", fixed: "Deactivate…")] : [])
        let facts: [[String: String]] = [
            ("Status", "status"), ("Key", "key"), ("Customer", "customerId"), ("Product", "productId"), ("Policy", "policyId"), ("Tier", "tier"),
            ("Expires", "expiresAt"), ("Created", "createdAt"), ("Metadata", "metadata"),
        ].map { ["label": $0.0, "value": AdminPages.text(license[$0.1]).nilIfEmpty ?? "—"] }
        var quotas: [[String: Any]] = []
        let quotaAnswer = try await pages.api.call(.get, "/v1/licenses/\(encoded)/quotas", as: me.caller, address: nil)
        if quotaAnswer.ok { quotas = (quotaAnswer.object["quotas"] as? [[String: Any]] ?? []).map(Self.quotaView) }
        let values: [String: Any] = [
            "facts": facts, "actions": actions, "quotas": quotas,
            "machines": try await section(me, request, api: "/v1/licenses/\(encoded)/machines", caption: "Machines", columns: machineColumns, page: here) as Any,
            "validations": try await section(
                me, request, api: "/v1/licenses/\(encoded)/validations", query: ["limit": "20"], caption: "Latest validations",
                columns: [Column(heading: "When", key: "occurredAt"), Column(heading: "Code", key: "code", badge: true), Column(heading: "From", key: "remoteAddress")],
                page: here) as Any,
            "events": try await section(
                me, request, api: "/v1/events", query: ["objectId": id, "limit": "20"], caption: "Events",
                columns: [Column(heading: "When", key: "occurredAt"), Column(heading: "Type", key: "type"), Column(heading: "Actor", key: "actor")], page: here)
                as Any,
        ]
        let frame = pages.frame(me, title: "License \(id)", current: "/admin/licenses", notice: request.uri.queryParameters.get("done"))
        return pages.renderer.page("license", frame: frame, values)
    }

    /// A quota as the page shows it, with the bar of its use drawn in SVG by the template.
    static func quotaView(_ quota: [String: Any]) -> [String: Any] {
        let used = (quota["used"] as? NSNumber)?.doubleValue ?? 0
        let limit = (quota["limit"] as? NSNumber)?.doubleValue
        let share = limit.map { $0 > 0 ? min(1, used / $0) : 1 } ?? 0
        return [
            "meter": AdminPages.text(quota["meter"]), "period": AdminPages.text(quota["period"]), "used": AdminPages.text(quota["used"]),
            "limit": AdminPages.text(quota["limit"]), "resetsAt": AdminPages.text(quota["resetsAt"]),
            "width": String(Int((share * 300).rounded())), "percent": limit == nil ? "no limit" : "\(Int((share * 100).rounded())) %",
            "over": share >= 1,
        ]
    }

    func bulk(_ request: Request) async throws -> Response {
        let (me, form) = try await pages.form(request)
        let ids = form.all("ids")
        guard let action = form["action"], ["suspend", "renew"].contains(action) else {
            throw TollgateError.invalid(code: RequestCode.invalidValue, field: "action", message: "Choose suspend or renew.")
        }
        guard !ids.isEmpty, ids.count <= 100 else {
            throw PageRedirect(location: "/admin/licenses?done=" + ("Tick 1 to 100 licenses first.".queryValue))
        }
        var done = 0
        var failed: [String] = []
        for id in ids {
            let encoded = id.pathSegment
            let answer = try await pages.api.call(.post, "/v1/licenses/\(encoded)/actions/\(action)", as: me.caller, address: nil)
            if answer.status == .forbidden { throw TollgateError.forbidden(code: RequestCode.permissionDenied, message: answer.error?.message ?? "") }
            if answer.ok { done += 1 } else { failed.append("\(id): \(answer.error?.message ?? "refused")") }
        }
        let verb = action == "suspend" ? "Suspended" : "Renewed"
        let notice = "\(verb) \(done) license\(done == 1 ? "" : "s")." + (failed.isEmpty ? "" : " Not changed: " + failed.joined(separator: "; "))
        throw PageRedirect(location: "/admin/licenses?done=" + (notice.queryValue))
    }

    /// The filtered license list as CSV, every page of it (at most ``exportLimit`` rows).
    func export(_ request: Request) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        var query = AdminPages.query(request, ["q", "status", "customerId", "productId", "policyId", "expiringBefore"])
        query["limit"] = "100"
        let columns = ["id", "key", "status", "customerId", "productId", "policyId", "tier", "expiresAt", "createdAt"]
        var csv = columns.joined(separator: ",") + "\r\n"
        var rows = 0
        while rows < Self.exportLimit {
            let answer = try await pages.get("/v1/licenses", query: query, as: me, request: request)
            for item in answer["data"] as? [[String: Any]] ?? [] {
                csv += columns.map { Self.csvField(AdminPages.text(item[$0])) }.joined(separator: ",") + "\r\n"
                rows += 1
            }
            guard let cursor = answer["nextCursor"] as? String else { break }
            query["cursor"] = cursor
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"licenses.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    static let exportLimit = 100_000

    /// A CSV field (RFC 4180), and never a formula a spreadsheet would run.
    static func csvField(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        return text.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    func customer(_ request: Request, _ context: AppRequestContext, form: FormBody? = nil, errors: [String: String] = [:], problem: String? = nil,
        status: HTTPResponse.Status = .ok) async throws -> Response
    {
        let me = try await pages.sessions.require(request, .staff)
        let id = try context.parameters.require("id")
        let encoded = id.pathSegment
        let customer = try await pages.get("/v1/customers/\(encoded)", as: me, request: request)
        let here = "/admin/customers/\(encoded)"
        var values: [String: Any] = [
            "facts": [("Name", "name"), ("Email", "email"), ("Created", "createdAt"), ("Metadata", "metadata")].map {
                ["label": $0.0, "value": AdminPages.text(customer[$0.1]).nilIfEmpty ?? "—"]
            },
            "licenses": try await section(
                me, request, api: "/v1/licenses", query: ["customerId": id], caption: "Licenses",
                columns: [
                    Column(heading: "License", key: "id", link: "/admin/licenses/{id}"), Column(heading: "Status", key: "status", badge: true),
                    Column(heading: "Policy", key: "policyId"), Column(heading: "Expires", key: "expiresAt"),
                ], page: here) as Any,
            "users": try await section(
                me, request, api: "/v1/customers/\(encoded)/users", caption: "Portal users",
                columns: [Column(heading: "Name", key: "name"), Column(heading: "Email", key: "email"), Column(heading: "Status", key: "status", badge: true)],
                page: here) as Any,
            "events": try await section(
                me, request, api: "/v1/events", query: ["objectId": id, "limit": "20"], caption: "Events",
                columns: [Column(heading: "When", key: "occurredAt"), Column(heading: "Type", key: "type"), Column(heading: "Actor", key: "actor")], page: here)
                as Any,
        ]
        values["usage"] = try await usage(of: id, me)
        if (me.user.role ?? .readOnly).allows(.customersWrite) {
            let fields = AdminPages.filled(
                [FormField(name: "email", label: "Email", kind: .email, required: true), FormField(name: "name", label: "Name", required: true)], from: form,
                errors: errors)
            values["forms"] = [PageForm(action: "\(here)/users", title: "Invite a portal user", fields: fields, submit: "Invite", csrf: me.csrf)]
        }
        var frame = pages.frame(me, title: AdminPages.text(customer["name"]), current: "/admin/customers", notice: request.uri.queryParameters.get("done"))
        frame.problem = problem
        return pages.renderer.page("customer", frame: frame, values, status: status)
    }

    /// The customer's usage of each meter this month and last (its licenses added up), from the
    /// analytics API (counters, not events); `nil` for a role that may not read usage.
    func usage(of customerId: String, _ me: SignedIn) async throws -> PageTable? {
        guard (me.user.role ?? .readOnly).allows(.usageRead) else { return nil }
        let meters = try await pages.api.call(.get, "/v1/meters", query: ["limit": "100"], as: me.caller, address: nil)
        var rows: [PageRow] = []
        for meter in meters.object["data"] as? [[String: Any]] ?? [] {
            let code = AdminPages.text(meter["code"])
            let answer = try await pages.api.call(
                .get, "/v1/analytics/usage", query: ["meter": code, "customerId": customerId, "bucket": "month"], as: me.caller, address: nil)
            guard answer.ok else { continue }
            let series = (answer.object["series"] as? [[String: Any]] ?? []).suffix(2)
            let cells = series.reversed().map { "\(AdminPages.text($0["value"])) (\(AdminPages.text($0["events"])) events)" }
            rows.append(PageRow(id: code, cells: [PageCell(text: code), PageCell(text: cells.first ?? "0"), PageCell(text: cells.dropFirst().first ?? "0")]))
        }
        return PageTable(caption: "Usage by meter, all the customer's licenses", headings: ["Meter", "This month", "Last month"], rows: rows,
            empty: "No meters yet.")
    }

    func inviteCustomerUser(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, form) = try await pages.form(request)
        let encoded = try context.parameters.require("id").pathSegment
        let result = try await pages.submit(.post, "/v1/customers/\(encoded)/users", body: jsonBody(form, ["email", "name"]), as: me)
        guard result.answer.ok else { return try await customer(request, context, form: form, errors: result.errors, problem: result.problem, status: result.answer.status) }
        let link = AdminPages.text((result.answer.object["invitation"] as? [String: Any])?["url"])
        throw PageRedirect(
            location: "/admin/customers/\(encoded)?done="
                + ("Invited. Pass on this link, which works once: \(link)".queryValue))
    }

    func user(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        let encoded = try context.parameters.require("id").pathSegment
        let user = try await pages.get("/v1/users/\(encoded)", as: me, request: request)
        let here = "/admin/users/\(encoded)"
        var forms: [PageForm] = []
        if AdminPages.text(user["status"]) == "invited" {
            forms.append(PageForm(action: "\(here)/invitation", title: "Invitation", fields: [], submit: "Make a new invitation link", csrf: me.csrf))
        }
        let links = [["href": "\(here)/role", "label": "Change role"], ["href": "\(here)/disable", "label": "Disable"], ["href": "\(here)/enable", "label": "Enable"]]
        let values: [String: Any] = [
            "links": links,
            "intro": [("Email", "email"), ("Role", "role"), ("Status", "status"), ("Two-factor", "twoFactor"), ("Joined the list", "createdAt")]
                .map { "\($0.0): \(AdminPages.text(user[$0.1]))" }.joined(separator: " · "),
            "forms": forms,
            "back": "/admin/users",
        ]
        let frame = pages.frame(me, title: AdminPages.text(user["name"]), current: "/admin/users", notice: request.uri.queryParameters.get("done"))
        return pages.renderer.page("form", frame: frame, values)
    }

    func reinvite(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let (me, _) = try await pages.form(request)
        let encoded = try context.parameters.require("id").pathSegment
        let result = try await pages.submit(.post, "/v1/users/\(encoded)/invitation", body: nil, as: me)
        let notice =
            result.answer.ok
            ? "A new link, which works once: \(AdminPages.text((result.answer.object["invitation"] as? [String: Any])?["url"]))" : (result.problem ?? "Refused.")
        throw PageRedirect(location: "/admin/users/\(encoded)?done=" + (notice.queryValue))
    }

    func verify(_ request: Request) async throws -> Response {
        let me = try await pages.sessions.require(request, .staff)
        let result = try await pages.get("/v1/audit-events/verify", as: me, request: request)
        let valid = (result["valid"] as? Bool) ?? false
        let message =
            valid
            ? "The chain is intact: \(AdminPages.text(result["checked"])) entries checked, each hash linking to the one before."
            : "The chain is broken at entry \(AdminPages.text(result["firstBrokenSequence"])): \(AdminPages.text(result["reason"]))."
        return pages.renderer.page(
            "message", frame: pages.frame(me, title: "Audit chain verification", current: "/admin/audit"),
            ["message": message, "link": ["href": "/admin/audit", "label": "Back to the audit trail"]])
    }
}
