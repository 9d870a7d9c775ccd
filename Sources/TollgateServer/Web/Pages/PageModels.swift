import Foundation
import Mustache
import TollgateDomain

/// A value a template reads: its stored properties (by reflection, as swift-mustache reads any
/// value) and the computed ones it names in ``computed(_:)``, which reflection does not see.
protocol PageModel: MustacheParent {
    func computed(_ name: String) -> Any?
}

extension PageModel {
    func computed(_ name: String) -> Any? { nil }

    func child(named name: String) -> Any? {
        if let value = computed(name) { return value }
        return Mirror(reflecting: self).children.first { $0.label == name }.flatMap { unwrapped($0.value) }
    }
}

/// `value` without its `Optional` wrappers: `nil` for an empty one, which a template treats as
/// missing (reflection hands an optional property over wrapped, which would render as "nil").
func unwrapped(_ value: Any) -> Any? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    guard let wrapped = mirror.children.first else { return nil }
    return unwrapped(wrapped.value)
}

/// What every page's layout shows: the portal, the title, the navigation the user's role may
/// follow, the signed-in user and the session's CSRF token for the sign-out form.
struct PageFrame: Sendable, PageModel {
    var portal: String
    var title: String
    var nav: [NavLink] = []
    var userName: String?
    var userRole: String?
    var csrf: String?
    /// A sentence shown above the page's content (what the last action did).
    var notice: String?
    /// The page's own error above its content, when it is not about one field.
    var problem: String?

    func computed(_ name: String) -> Any? {
        switch name {
        case "isAdmin": portal == "admin"
        case "hasNav": !nav.isEmpty
        default: nil
        }
    }
}

struct NavLink: Sendable {
    var href: String
    var label: String
    var current: Bool
}

/// One field of a form, with its value and the API's error about it.
struct FormField: Sendable, PageModel {
    enum Kind: String, Sendable {
        case text, email, password, select, textarea, file
    }
    var name: String
    var label: String
    var kind: Kind = .text
    var value: String = ""
    var options: [FormOption] = []
    var required = false
    var hint: String?
    var error: String?
    var autocomplete: String?
    /// What the element's id starts with: a filter's fields and a form's on one page differ.
    var scope = "field"

    var id: String { "\(scope)-\(name)" }

    func computed(_ name: String) -> Any? {
        switch name {
        case "id": id
        case "isSelect": kind == .select
        case "isTextarea": kind == .textarea
        case "isInput": ![.select, .textarea].contains(kind)
        case "type": kind.rawValue
        case "describedBy":
            [hint.map { _ in "\(id)-hint" }, error.map { _ in "\(id)-error" }].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        default: nil
        }
    }
}

struct FormOption: Sendable {
    var value: String
    var label: String
    var selected: Bool
}

/// A form: where it posts, its fields and its button.
struct PageForm: Sendable {
    var action: String
    var title: String?
    var fields: [FormField]
    var submit: String
    var csrf: String
}

/// A table of a list page: its headings, its rows and the link to the next page.
struct PageTable: Sendable, PageModel {
    var caption: String
    var headings: [String]
    var rows: [PageRow]
    var next: String?
    var empty: String = "Nothing here yet."
    /// Rows carry a check box named `ids` for the bulk form that wraps the table.
    var selectable = false

    func computed(_ name: String) -> Any? { name == "isEmpty" ? rows.isEmpty : nil }
}

struct PageRow: Sendable {
    var id: String = ""
    var cells: [PageCell]
}

struct PageCell: Sendable {
    var text: String
    var href: String?
    /// A status shown as a badge (`active`, `suspended`…).
    var badge: String?
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }

    /// The text as one segment of a URL's path: unreserved characters kept (ids are left as
    /// they are: the router does not decode `%5F` back to `_`), everything else percent-encoded.
    var pathSegment: String { addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "" }

    /// The text as a query parameter's value.
    var queryValue: String { addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "" }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
