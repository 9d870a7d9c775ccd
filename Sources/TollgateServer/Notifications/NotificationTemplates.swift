import Foundation
import Mustache
import TollgateDomain
import TollgateStore

/// The emails' templates (swift-mustache): per kind a text template whose first line is the
/// subject and whose rest is the plain-text part, and an HTML fragment that the layout wraps.
/// Values are escaped in the HTML part and left as they are in the text part.
struct NotificationTemplates: Sendable {
    let library: MustacheLibrary

    /// A rendered email: subject, plain text, HTML.
    struct Rendered: Sendable, Equatable {
        var subject: String
        var text: String
        var html: String
    }

    init() throws {
        var library = MustacheLibrary()
        for kind in NotificationKind.allCases {
            guard let text = Self.defaults["\(kind.rawValue).txt"], let html = Self.defaults["\(kind.rawValue).html"] else {
                throw TemplateMissing(kind: kind)
            }
            try library.register("{{% CONTENT_TYPE: TEXT}}" + String(decoding: text, as: UTF8.self), named: "\(kind.rawValue).txt")
            try library.register(String(decoding: html, as: UTF8.self), named: "\(kind.rawValue).html")
        }
        try library.register(String(decoding: PackageResources.layout_html_mustache, as: UTF8.self), named: "layout.html")
        self.library = library
    }

    struct TemplateMissing: Error { let kind: NotificationKind }

    /// `kind`'s email with `values`, from the vendor's `override` when it has one;
    /// `unsubscribeURL` (for the kinds a customer may turn off) goes into the HTML layout's
    /// footer and the text's last line.
    func render(_ kind: NotificationKind, _ values: [String: Any], unsubscribeURL: String?, override: NotificationTemplateTable.Template? = nil) -> Rendered {
        var subject: String
        var text: String
        let fragment: String
        if let override, let own = try? Self.compile(subject: override.subject, text: override.text, html: override.html) {
            subject = own.subject.render(values)
            text = own.text.render(values)
            fragment = own.html.render(values)
        } else {
            (subject, text) = Self.split(library.render(values, withTemplate: "\(kind.rawValue).txt") ?? "")
            fragment = library.render(values, withTemplate: "\(kind.rawValue).html") ?? ""
        }
        // One line, whatever a template or a value put in it.
        subject = subject.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        text = text.trimmingCharacters(in: .newlines) + "\n"
        if let unsubscribeURL { text += "\nTo turn these emails off: \(unsubscribeURL)\n" }
        var layout = values
        (layout["subject"], layout["body"], layout["unsubscribeURL"]) = (subject, fragment, unsubscribeURL)
        return Rendered(subject: subject, text: text, html: library.render(layout, withTemplate: "layout.html") ?? fragment)
    }

    /// The default templates of `kind`, as a vendor would write its own: subject, text, HTML fragment.
    static func defaultTemplates(_ kind: NotificationKind) -> (subject: String, text: String, html: String) {
        let (subject, text) = split(String(decoding: defaults["\(kind.rawValue).txt"] ?? [], as: UTF8.self))
        return (subject, text, String(decoding: defaults["\(kind.rawValue).html"] ?? [], as: UTF8.self))
    }

    /// A default text template (or its rendering) split into its first line, the subject, and the rest.
    static func split(_ whole: String) -> (subject: String, text: String) {
        (String(whole.prefix { $0 != "\n" }), String(whole.drop { $0 != "\n" }.dropFirst()))
    }

    /// A vendor's templates, compiled: subject and text rendered as text, the HTML fragment with
    /// its values escaped. Throws the parser's complaint, naming the field.
    static func compile(subject: String, text: String, html: String) throws(TollgateError) -> (subject: MustacheTemplate, text: MustacheTemplate, html: MustacheTemplate) {
        func one(_ source: String, field: String, asText: Bool) throws(TollgateError) -> MustacheTemplate {
            do {
                return try MustacheTemplate(string: (asText ? "{{% CONTENT_TYPE: TEXT}}" : "") + source)
            } catch {
                throw .invalid(field: field, message: "'\(field)' is not a Mustache template: \(error).")
            }
        }
        return (try one(subject, field: "subject", asText: true), try one(text, field: "text", asText: true), try one(html, field: "html", asText: false))
    }

    static let defaults: [String: [UInt8]] = [
        "license_issued.txt": PackageResources.license_issued_txt_mustache, "license_issued.html": PackageResources.license_issued_html_mustache,
        "portal_invitation.txt": PackageResources.portal_invitation_txt_mustache,
        "portal_invitation.html": PackageResources.portal_invitation_html_mustache,
        "renewal_reminder.txt": PackageResources.renewal_reminder_txt_mustache, "renewal_reminder.html": PackageResources.renewal_reminder_html_mustache,
        "license_expired.txt": PackageResources.license_expired_txt_mustache, "license_expired.html": PackageResources.license_expired_html_mustache,
        "license_suspended.txt": PackageResources.license_suspended_txt_mustache,
        "license_suspended.html": PackageResources.license_suspended_html_mustache,
        "license_reinstated.txt": PackageResources.license_reinstated_txt_mustache,
        "license_reinstated.html": PackageResources.license_reinstated_html_mustache,
        "machine_limit_reached.txt": PackageResources.machine_limit_reached_txt_mustache,
        "machine_limit_reached.html": PackageResources.machine_limit_reached_html_mustache,
        "usage_threshold.txt": PackageResources.usage_threshold_txt_mustache, "usage_threshold.html": PackageResources.usage_threshold_html_mustache,
    ]
}
