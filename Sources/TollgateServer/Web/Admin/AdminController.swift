import Foundation
import HTTPTypes
import Hummingbird
import TollgateDomain

/// The admin portal's list pages (`/admin/<section>`): a table of the API's list, its filters,
/// the next-page link, and the form that creates one more. A form goes to the API as JSON
/// (``APIDispatcher``), and the API's errors come back next to their fields.
struct AdminController: Sendable {
    let pages: AdminPages

    /// One list page.
    struct ListPage: Sendable {
        var path: String
        var title: String
        var api: String
        var columns: [AdminPages.Column]
        /// Query parameters passed to the API, shown as filter fields.
        var filters: [FormField] = []
        var create: CreateForm?
        var actions: [(href: String, label: String)] = []
        /// Actions on the rows ticked (`value` is the API action's name), posted to `<path>/bulk`.
        var bulk: [(value: String, label: String)] = []
        /// Whether the filtered list can be downloaded as CSV (`<path>.csv`).
        var export = false
    }

    /// The form under a list that creates one more.
    struct CreateForm: Sendable {
        var title: String
        var submit: String
        /// The fields; `options` fills selects from the API.
        var fields: @Sendable (AdminPages, SignedIn, Request) async throws -> [FormField]
        /// The API call the form makes, from its fields.
        var call: @Sendable (FormBody) -> (HTTPRequest.Method, String, [String: Any])
        /// Where to go after: the new object's page, or the list.
        var done: @Sendable ([String: Any]) -> String
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        for list in Self.lists {
            let path = RouterPath(String(list.path.dropFirst("/admin/".count)))
            group.get(path) { request, _ in try await show(list, request) }
            if list.create != nil {
                group.post(path) { request, _ in try await create(list, request) }
            }
        }
    }

    func show(_ list: ListPage, _ request: Request, form: FormBody? = nil, errors: [String: String] = [:], problem: String? = nil,
        status: HTTPResponse.Status = .ok) async throws -> Response
    {
        let me = try await pages.sessions.require(request, .staff)
        let query = AdminPages.query(request, list.filters.map(\.name) + ["after"])
        var api = list.api
        var apiQuery = query.mapKeys { $0 == "after" ? "cursor" : $0 }
        for (name, value) in query where api.contains("{\(name)}") {
            api = api.replacingOccurrences(of: "{\(name)}", with: value.pathSegment)
            apiQuery[name] = nil
        }
        var frame = pages.frame(me, title: list.title, current: list.path, notice: request.uri.queryParameters.get("done"))
        frame.problem = problem
        var answer: [String: Any] = [:]
        if api.contains("{") {
            frame.problem = problem ?? "Choose one with the filter above."
        } else {
            answer = try await pages.get(api, query: apiQuery, as: me, request: request)
        }
        var values: [String: Any] = [
            "table": AdminPages.table(
                answer, caption: list.title, columns: list.columns, page: list.path, query: query.filter { $0.key != "after" }, selectable: !list.bulk.isEmpty),
            "actions": list.actions.map { ["href": $0.href, "label": $0.label] },
        ]
        if !list.bulk.isEmpty {
            values["bulk"] = ["action": "\(list.path)/bulk", "csrf": me.csrf, "buttons": list.bulk.map { ["value": $0.value, "label": $0.label] }] as [String: Any]
        }
        if list.export {
            var components = URLComponents()
            components.path = "\(list.path).csv"
            let items = query.filter { $0.key != "after" }.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            components.queryItems = items.isEmpty ? nil : items
            values["export"] = components.string
        }
        if !list.filters.isEmpty {
            let fields = list.filters.map { field -> FormField in
                var field = field
                field.value = query[field.name] ?? ""
                field.scope = "filter"
                if field.kind == .select { field.options = field.options.map { FormOption(value: $0.value, label: $0.label, selected: $0.value == field.value) } }
                return field
            }
            values["filters"] = ["action": list.path, "fields": fields]
        }
        if let create = list.create, (me.user.role ?? .readOnly) != .readOnly {
            let fields = AdminPages.filled(try await create.fields(pages, me, request), from: form, errors: errors)
            values["forms"] = [["title": create.title, "action": list.path, "csrf": me.csrf, "fields": fields, "submit": create.submit] as [String: Any]]
        }
        return pages.renderer.page("table", frame: frame, values, status: status)
    }

    func create(_ list: ListPage, _ request: Request) async throws -> Response {
        guard let create = list.create else { throw TollgateError.routeNotFound(method: "POST", path: list.path) }
        let (me, form) = try await pages.form(request)
        let (method, path, body) = create.call(form)
        let result = try await pages.submit(method, path, body: body, as: me)
        guard result.answer.ok else {
            return try await show(list, request, form: form, errors: result.errors, problem: result.problem, status: result.answer.status)
        }
        throw PageRedirect(location: create.done(result.answer.object))
    }
}

extension Dictionary where Key == String {
    func mapKeys(_ transform: (String) -> String) -> [String: Value] { Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) }) }
}

/// Options of a select from an API list (`label` and `value` keys of each item).
func options(_ pages: AdminPages, _ me: SignedIn, _ request: Request, api: String, label: String, value: String = "id", blank: String? = nil)
    async throws -> [FormOption]
{
    let answer = try await pages.get(api, query: ["limit": "100"], as: me, request: request)
    let items = answer["data"] as? [[String: Any]] ?? []
    return (blank.map { [FormOption(value: "", label: $0, selected: false)] } ?? [])
        + items.map { FormOption(value: AdminPages.text($0[value]), label: AdminPages.text($0[label]), selected: false) }
}

/// The JSON body of a form: its non-blank fields, numbers as numbers.
func jsonBody(_ form: FormBody, _ names: [String], numbers: Set<String> = []) -> [String: Any] {
    var body: [String: Any] = [:]
    for name in names {
        guard let value = form.text(name) else { continue }
        body[name] = numbers.contains(name) ? (Int(value).map { $0 as Any } ?? value) : value
    }
    return body
}

extension AdminController {
    typealias Column = AdminPages.Column

    static let roleOptions = Role.allCases.map { FormOption(value: $0.rawValue, label: $0.rawValue, selected: false) }

    static let lists: [ListPage] = [
        ListPage(
            path: "/admin/products", title: "Products", api: "/v1/products",
            columns: [Column(heading: "Code", key: "code"), Column(heading: "Name", key: "name"), Column(heading: "Created", key: "createdAt")],
            create: CreateForm(
                title: "New product", submit: "Create product",
                fields: { _, _, _ in
                    [FormField(name: "code", label: "Code", required: true, hint: "Letters, digits, dashes; used in license files."),
                     FormField(name: "name", label: "Name", required: true)]
                },
                call: { form in (.post, "/v1/products", jsonBody(form, ["code", "name"])) },
                done: { _ in "/admin/products?done=Product%20created." })),
        ListPage(
            path: "/admin/policies", title: "Policies", api: "/v1/policies",
            columns: [
                Column(heading: "Name", key: "name"), Column(heading: "Product", key: "productId"), Column(heading: "Machines", key: "maxMachines"),
                Column(heading: "Days", key: "durationDays"), Column(heading: "Limits", key: "limits"),
            ],
            filters: [FormField(name: "productId", label: "Product id")],
            create: CreateForm(
                title: "New policy from a preset", submit: "Create policy",
                fields: { pages, me, request in
                    [FormField(
                        name: "preset", label: "Preset", kind: .select,
                        options: try await options(pages, me, request, api: "/v1/policies/presets", label: "name", value: "preset"), required: true),
                     FormField(
                        name: "productId", label: "Product", kind: .select, options: try await options(pages, me, request, api: "/v1/products", label: "name"),
                        required: true)]
                },
                call: { form in (.post, "/v1/policies/presets/\(form.text("preset") ?? "none")", jsonBody(form, ["productId"])) },
                done: { _ in "/admin/policies?done=Policy%20created." })),
        ListPage(
            path: "/admin/entitlements", title: "Entitlements", api: "/v1/products/{productId}/entitlements",
            columns: [Column(heading: "Code", key: "code"), Column(heading: "Name", key: "name"), Column(heading: "Product", key: "productId")],
            filters: [FormField(name: "productId", label: "Product id")]),
        ListPage(
            path: "/admin/meters", title: "Meters", api: "/v1/meters",
            columns: [
                Column(heading: "Code", key: "code"), Column(heading: "Name", key: "name"), Column(heading: "Aggregation", key: "aggregation"),
                Column(heading: "Kind", key: "kind"), Column(heading: "Created", key: "createdAt"),
            ]),
        ListPage(
            path: "/admin/customers", title: "Customers", api: "/v1/customers",
            columns: [
                Column(heading: "Name", key: "name", link: "/admin/customers/{id}"), Column(heading: "Email", key: "email"),
                Column(heading: "Created", key: "createdAt"),
            ],
            filters: [FormField(name: "q", label: "Search", hint: "A name, an email or a metadata value."), FormField(name: "email", label: "Email", kind: .email)],
            create: CreateForm(
                title: "New customer", submit: "Create customer",
                fields: { _, _, _ in
                    [FormField(name: "name", label: "Name", required: true), FormField(name: "email", label: "Email", kind: .email)]
                },
                call: { form in (.post, "/v1/customers", jsonBody(form, ["name", "email"])) },
                done: { created in "/admin/customers/\(AdminPages.text(created["id"]))" })),
        ListPage(
            path: "/admin/licenses", title: "Licenses", api: "/v1/licenses",
            columns: [
                Column(heading: "License", key: "id", link: "/admin/licenses/{id}"), Column(heading: "Key", key: "key", prefix: 14),
                Column(heading: "Status", key: "status", badge: true), Column(heading: "Customer", key: "customerId", link: "/admin/customers/{customerId}"),
                Column(heading: "Policy", key: "policyId"), Column(heading: "Expires", key: "expiresAt"),
            ],
            filters: [
                FormField(name: "q", label: "Search", hint: "A key's first characters, a customer's name or email, or a metadata value."),
                FormField(
                    name: "status", label: "Status", kind: .select,
                    options: ["", "active", "expired", "suspended", "revoked"].map {
                        FormOption(value: $0, label: $0.isEmpty ? "any" : $0, selected: false)
                    }),
                FormField(name: "customerId", label: "Customer id"), FormField(name: "productId", label: "Product id"),
                FormField(name: "policyId", label: "Policy id"), FormField(name: "expiringBefore", label: "Expiring before", hint: "An ISO 8601 time."),
            ],
            create: CreateForm(
                title: "New license", submit: "Create license",
                fields: { pages, me, request in
                    [FormField(
                        name: "policyId", label: "Policy", kind: .select, options: try await options(pages, me, request, api: "/v1/policies", label: "name"),
                        required: true),
                     FormField(
                        name: "customerId", label: "Customer", kind: .select,
                        options: try await options(pages, me, request, api: "/v1/customers", label: "name"), required: true),
                     FormField(name: "expiresAt", label: "Expires at", hint: "Optional; the policy's duration applies without it. ISO 8601.")]
                },
                call: { form in (.post, "/v1/licenses", jsonBody(form, ["policyId", "customerId", "expiresAt"])) },
                done: { created in "/admin/licenses/\(AdminPages.text(created["id"]))?done=License%20created." }),
            bulk: [("suspend", "Suspend the ticked licenses"), ("renew", "Renew the ticked licenses")], export: true),
        ListPage(
            path: "/admin/machines", title: "Machines", api: "/v1/machines",
            columns: [
                Column(heading: "Name", key: "name"), Column(heading: "Fingerprint", key: "fingerprint"),
                Column(heading: "License", key: "licenseId", link: "/admin/licenses/{licenseId}"), Column(heading: "Status", key: "status", badge: true),
                Column(heading: "Last heartbeat", key: "lastHeartbeatAt"),
            ],
            filters: [
                FormField(name: "licenseId", label: "License id"),
                FormField(
                    name: "state", label: "State", kind: .select,
                    options: ["", "active", "deactivated"].map { FormOption(value: $0, label: $0.isEmpty ? "any" : $0, selected: false) }),
            ]),
        ListPage(
            path: "/admin/keys", title: "Signing keys", api: "/v1/keys",
            columns: [
                Column(heading: "Key id", key: "kid"), Column(heading: "Status", key: "status", badge: true), Column(heading: "Current", key: "current"),
                Column(heading: "Created", key: "createdAt"), Column(heading: "Retired", key: "retiredAt"),
                Column(heading: "Retire", key: "kid", link: "/admin/keys/{kid}/retire", fixed: "Retire…"),
            ],
            actions: [("/admin/keys/rotate", "Rotate the signing key")]),
        ListPage(
            path: "/admin/tokens", title: "API tokens", api: "/v1/tokens",
            columns: [
                Column(heading: "Name", key: "name"), Column(heading: "Role", key: "role"), Column(heading: "Product", key: "productId"),
                Column(heading: "Prefix", key: "prefix"),
                Column(heading: "Last used", key: "lastUsedAt"), Column(heading: "Expires", key: "expiresAt"),
                Column(heading: "Revoke", key: "id", link: "/admin/tokens/{id}/revoke", fixed: "Revoke…"),
            ],
            create: CreateForm(
                title: "New API token", submit: "Create token",
                fields: { pages, me, request in
                    [FormField(name: "name", label: "Name", required: true),
                     FormField(name: "role", label: "Role", kind: .select, value: "read-only", options: roleOptions, required: true),
                     FormField(
                        name: "productId", label: "Product", kind: .select,
                        options: try await options(pages, me, request, api: "/v1/products", label: "name", blank: "Every product (the whole account)"),
                        hint: "Confine the token to one product's licenses, policies, machines and usage."),
                     FormField(name: "expiresAt", label: "Expires at", hint: "Optional; an ISO 8601 time such as 2027-01-31T00:00:00Z.")]
                },
                call: { form in (.post, "/v1/tokens", jsonBody(form, ["name", "role", "productId", "expiresAt"])) },
                done: { created in "/admin/tokens?done=" + ("Token created. Its secret, shown only this once: \(AdminPages.text(created["secret"]))".queryValue) })),
        ListPage(
            path: "/admin/users", title: "Users", api: "/v1/users",
            columns: [
                Column(heading: "Name", key: "name", link: "/admin/users/{id}"), Column(heading: "Email", key: "email"), Column(heading: "Role", key: "role"),
                Column(heading: "Status", key: "status", badge: true), Column(heading: "Two-factor", key: "twoFactor"),
            ],
            create: CreateForm(
                title: "Invite a staff member", submit: "Invite",
                fields: { _, _, _ in
                    [FormField(name: "email", label: "Email", kind: .email, required: true), FormField(name: "name", label: "Name", required: true),
                     FormField(name: "role", label: "Role", kind: .select, value: "support", options: roleOptions, required: true)]
                },
                call: { form in (.post, "/v1/users", jsonBody(form, ["email", "name", "role"])) },
                done: { created in
                    let link = AdminPages.text((created["invitation"] as? [String: Any])?["url"])
                    return "/admin/users/\(AdminPages.text(created["id"]))?done=" + ("Invited. Pass on this link, which works once: \(link)".queryValue)
                })),
        ListPage(
            path: "/admin/audit", title: "Audit trail", api: "/v1/audit-events",
            columns: [
                Column(heading: "#", key: "sequence"), Column(heading: "When", key: "occurredAt"), Column(heading: "Actor", key: "actor"),
                Column(heading: "Action", key: "action"), Column(heading: "Object", key: "objectId"), Column(heading: "Hash", key: "hash"),
            ],
            filters: [FormField(name: "objectId", label: "Object id")],
            actions: [("/admin/audit/verify", "Verify the chain")]),
        ListPage(
            path: "/admin/events", title: "Event log", api: "/v1/events",
            columns: [
                Column(heading: "#", key: "sequence"), Column(heading: "When", key: "occurredAt"), Column(heading: "Type", key: "type"),
                Column(heading: "Object", key: "objectId"), Column(heading: "Actor", key: "actor"),
            ],
            filters: [FormField(name: "type", label: "Type"), FormField(name: "objectId", label: "Object id")]),
        ListPage(
            path: "/admin/webhooks", title: "Webhook endpoints", api: "/v1/webhook-endpoints",
            columns: [
                Column(heading: "URL", key: "url", link: "/admin/webhooks/{id}"), Column(heading: "Event types", key: "eventTypes"),
                Column(heading: "Status", key: "status", badge: true), Column(heading: "Description", key: "description"),
                Column(heading: "Created", key: "createdAt"),
            ],
            create: CreateForm(
                title: "New webhook endpoint", submit: "Create endpoint",
                fields: { _, _, _ in
                    [FormField(name: "url", label: "URL", required: true, hint: "An http or https URL that answers 2xx to a signed POST."),
                     FormField(name: "eventTypes", label: "Event types", value: "*", hint: "Comma-separated: types such as license.suspended, prefixes such as license.*, or * for all."),
                     FormField(name: "description", label: "Description")]
                },
                call: { form in
                    var body = jsonBody(form, ["url", "description"])
                    if let types = form.text("eventTypes") {
                        body["eventTypes"] = types.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    }
                    return (.post, "/v1/webhook-endpoints", body)
                },
                done: { created in
                    "/admin/webhooks/\(AdminPages.text(created["id"]))?done="
                        + ("Endpoint created. Its signing secret, shown only this once: \(AdminPages.text(created["secret"]))".queryValue)
                })),
    ]
}
