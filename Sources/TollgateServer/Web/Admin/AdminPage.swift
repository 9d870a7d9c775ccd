import Foundation
import HTTPTypes
import Hummingbird
import TollgateDomain

/// What the admin portal's pages share: the signed-in user, the API in process, the renderer,
/// the navigation by role, and the conversions between the API's JSON and a page's tables and forms.
struct AdminPages: Sendable {
    let api: APIDispatcher
    let renderer: PageRenderer
    let sessions: PageSessions
    let limits: BodyLimits

    /// The sections, each shown to the roles that may read it.
    static let sections: [(href: String, label: String, permission: Permission)] = [
        ("/admin", "Dashboard", .accountRead), ("/admin/products", "Products", .catalogRead), ("/admin/policies", "Policies", .catalogRead),
        ("/admin/entitlements", "Entitlements", .catalogRead), ("/admin/meters", "Meters", .catalogRead), ("/admin/customers", "Customers", .customersRead),
        ("/admin/licenses", "Licenses", .licensesRead), ("/admin/machines", "Machines", .machinesRead), ("/admin/keys", "Signing keys", .keysRead),
        ("/admin/tokens", "API tokens", .tokensManage), ("/admin/users", "Users", .usersManage), ("/admin/audit", "Audit trail", .auditRead),
        ("/admin/events", "Event log", .eventsRead), ("/admin/webhooks", "Webhooks", .webhooksManage), ("/admin/two-factor", "Two-factor sign-in", .accountRead),
    ]

    func frame(_ me: SignedIn, title: String, current: String, notice: String? = nil) -> PageFrame {
        let role = me.user.role ?? .readOnly
        let nav = Self.sections.filter { role.allows($0.permission) && !($0.href == "/admin/two-factor" && me.user.twoFactor) }.map {
            NavLink(href: $0.href, label: $0.label, current: $0.href == current)
        }
        return PageFrame(portal: "admin", title: title, nav: nav, userName: me.user.name, userRole: me.user.role?.rawValue, csrf: me.csrf, notice: notice)
    }

    /// The API's answer to a GET, or the error page it leads to (403 for a role that may not read it).
    func get(_ path: String, query: [String: String] = [:], as me: SignedIn, request: Request) async throws -> [String: Any] {
        let answer = try await api.call(.get, path, query: query, as: me.caller, address: nil)
        try Self.raise(answer)
        return answer.object
    }

    /// Throws the API's refusal as the error it was, for ``PageMiddleware`` to show.
    static func raise(_ answer: APIDispatcher.Answer) throws {
        guard let error = answer.error else { return }
        switch answer.status {
        case .forbidden: throw TollgateError.forbidden(code: RequestCode.permissionDenied, message: error.message)
        case .notFound: throw TollgateError.notFound(resource: "object", id: "")
        case .unauthorized: throw PageRedirect(location: "/admin/sign-in?expired=1")
        default: throw TollgateError.conflict(code: RequestCode.badRequest, message: error.message)
        }
    }

    /// The page's query parameters, as the API takes them.
    static func query(_ request: Request, _ names: [String]) -> [String: String] {
        var query: [String: String] = [:]
        for name in names { if let value = request.uri.queryParameters.get(name), !value.isEmpty { query[name] = value } }
        return query
    }

    /// A table of the API's list answer: one row per item, a cell per column.
    static func table(_ answer: [String: Any], caption: String, columns: [Column], page: String, query: [String: String], selectable: Bool = false) -> PageTable {
        let items = answer["data"] as? [[String: Any]] ?? []
        let rows = items.map { item in
            PageRow(id: item["id"] as? String ?? "", cells: columns.map { $0.cell(item) })
        }
        var next: String?
        if let cursor = answer["nextCursor"] as? String {
            var components = URLComponents()
            components.path = page
            components.queryItems = query.merging(["after": cursor]) { $1 }.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            next = components.string
        }
        return PageTable(caption: caption, headings: columns.map(\.heading), rows: rows, next: next, selectable: selectable)
    }

    /// One column of a table: a heading, the item's value at `key` (a dotted path), a link.
    struct Column: Sendable {
        var heading: String
        var key: String
        /// The link's path with `{id}` (and `{key}` for other keys) replaced by the item's values.
        var link: String?
        var badge = false
        /// The same text in every row (an action's link), instead of the item's value.
        var fixed: String?
        /// Shows only the first characters (a license key's, by which people find it).
        var prefix: Int?

        func cell(_ item: [String: Any]) -> PageCell {
            var text = fixed ?? AdminPages.text(AdminPages.value(item, key))
            if let prefix, text.count > prefix { text = String(text.prefix(prefix)) + "…" }
            let href = link.map { template in
                var href = template
                for (name, value) in item { href = href.replacingOccurrences(of: "{\(name)}", with: AdminPages.text(value)) }
                return href
            }
            return PageCell(text: text.isEmpty ? "—" : text, href: href, badge: badge ? text : nil)
        }
    }

    static func value(_ item: [String: Any], _ key: String) -> Any? {
        var current: Any? = item
        for part in key.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
        return current
    }

    /// A JSON value as a cell shows it: dates to the second, lists joined, objects as `key: value`.
    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return ""
        case let string as String:
            if string.count >= 20, string.count <= 30, string.dropFirst(4).first == "-", string.contains("T"), string.hasSuffix("Z") {
                return String(string.prefix(16)).replacingOccurrences(of: "T", with: " ")
            }
            return string
        case let number as NSNumber:
            // JSONSerialization's booleans are NSNumbers whose Objective-C type is `c` (char).
            if String(cString: number.objCType) == "c" { return number.boolValue ? "yes" : "no" }
            return number.stringValue
        case let list as [Any]: return list.map { text($0) }.joined(separator: ", ")
        case let object as [String: Any]: return object.keys.sorted().map { "\($0): \(text(object[$0]))" }.joined(separator: ", ")
        default: return "\(value!)"
        }
    }

    /// Sends a form to the API as JSON; on a refusal, the error for the field it names (or for the form).
    func submit(
        _ method: HTTPRequest.Method, _ path: String, body: [String: Any]?, as me: SignedIn
    ) async throws -> (answer: APIDispatcher.Answer, errors: [String: String], problem: String?) {
        let answer = try await api.call(method, path, body: body, as: me.caller, address: nil)
        guard let error = answer.error else { return (answer, [:], nil) }
        if answer.status == .forbidden { throw TollgateError.forbidden(code: RequestCode.permissionDenied, message: error.message) }
        if let field = error.field { return (answer, [field.split(separator: ".").first.map(String.init) ?? field: error.message], nil) }
        return (answer, [:], error.message)
    }

    /// The form's fields, filled with what was sent and the errors the API gave.
    static func filled(_ fields: [FormField], from form: FormBody?, errors: [String: String]) -> [FormField] {
        fields.map { field in
            var field = field
            if let value = form?[field.name], field.kind != .password { field.value = value }
            if field.kind == .select { field.options = field.options.map { FormOption(value: $0.value, label: $0.label, selected: $0.value == field.value) } }
            field.error = errors[field.name]
            return field
        }
    }

    /// The signed-in user of a page, and its form (CSRF checked) for a POST.
    func form(_ request: Request) async throws -> (SignedIn, FormBody) {
        let me = try await sessions.require(request, .staff)
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        try PageSessions.checkCSRF(form, expected: me.csrf)
        return (me, form)
    }
}
