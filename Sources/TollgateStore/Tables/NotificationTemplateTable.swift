import Foundation
import TollgateDomain
import TollgateFormats

/// The templates a vendor wrote for its emails, one per account and kind, in place of the
/// defaults: a subject, a plain-text part and an HTML fragment (Mustache), each checked when stored.
public struct NotificationTemplateTable {
    let sql: any SQLExecutor

    public struct Template: Sendable, Equatable, Codable {
        public var kind: NotificationKind
        public var subject: String
        public var text: String
        public var html: String
        public var updatedAt: Date

        public init(kind: NotificationKind, subject: String, text: String, html: String, updatedAt: Date) {
            self.kind = kind
            self.subject = subject
            self.text = text
            self.html = html
            self.updatedAt = updatedAt
        }
    }

    /// The account's template for `kind`, if it wrote one.
    public func find(accountId: String, kind: NotificationKind) async throws -> Template? {
        try await sql.queryOne(
            "SELECT * FROM notification_templates WHERE account_id = ? AND kind = ?", [.text(accountId), .text(kind.rawValue)]
        ).flatMap(Self.template)
    }

    /// Every template the account wrote.
    public func all(accountId: String) async throws -> [Template] {
        try await sql.query("SELECT * FROM notification_templates WHERE account_id = ? ORDER BY kind", [.text(accountId)]).compactMap(Self.template)
    }

    /// Stores `template`, replacing the account's one of its kind.
    public func put(_ template: Template, accountId: String) async throws {
        try await sql.execute(
            """
            INSERT INTO notification_templates (account_id, kind, subject, text_body, html_body, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (account_id, kind) DO UPDATE SET subject = excluded.subject, text_body = excluded.text_body,
              html_body = excluded.html_body, updated_at = excluded.updated_at
            """,
            [
                .text(accountId), .text(template.kind.rawValue), .text(template.subject), .text(template.text), .text(template.html),
                .integer(template.updatedAt.epochMilliseconds),
            ])
    }

    /// Removes the account's template for `kind`; whether there was one.
    @discardableResult
    public func delete(accountId: String, kind: NotificationKind) async throws -> Bool {
        try await sql.queryOne(
            "DELETE FROM notification_templates WHERE account_id = ? AND kind = ? RETURNING kind", [.text(accountId), .text(kind.rawValue)]) != nil
    }

    static func template(_ row: SQLRow) -> Template? {
        guard let kind = row.string("kind").flatMap(NotificationKind.init(rawValue:)), let subject = row.string("subject"),
            let text = row.string("text_body"), let html = row.string("html_body"), let updated = row.int("updated_at")
        else { return nil }
        return Template(kind: kind, subject: subject, text: text, html: html, updatedAt: Date(epochMilliseconds: updated))
    }
}
