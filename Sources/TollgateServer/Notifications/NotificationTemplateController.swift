import Foundation
import Hummingbird
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The vendor's own email templates (`notifications.manage`):
/// - `GET /v1/notification-templates`: every kind, with the template in use (the vendor's or
///   the default) and whether it is the vendor's;
/// - `GET /v1/notification-templates/{kind}`;
/// - `PUT /v1/notification-templates/{kind}`: `subject`, `text`, `html` (Mustache: the subject and
///   text rendered as text, the HTML fragment escaped and wrapped in the layout, whose footer
///   carries the unsubscribe link); each must compile, 422 naming the field otherwise;
/// - `DELETE /v1/notification-templates/{kind}`: back to the default.
///
/// Emails made after the change use it; those already made keep what they were rendered with.
/// Each change is recorded (`notification_template.updated` / `.deleted`).
struct NotificationTemplateController: Sendable {
    let store: Store
    let writer: ChangeWriter
    let limits: BodyLimits

    /// A template as the API shows it.
    struct View: Codable, Sendable {
        var kind: NotificationKind
        /// Sent even to customers who turned reminders and alerts off.
        var essential: Bool
        /// Whether the vendor wrote it (`false`: the default).
        var custom: Bool
        var subject: String
        var text: String
        var html: String
        var updatedAt: Date?

        init(kind: NotificationKind, custom: NotificationTemplateTable.Template?) {
            self.kind = kind
            essential = kind.isEssential
            self.custom = custom != nil
            let defaults = NotificationTemplates.defaultTemplates(kind)
            (subject, text, html) = custom.map { ($0.subject, $0.text, $0.html) } ?? defaults
            updatedAt = custom?.updatedAt
        }
    }

    struct Body: Codable, Sendable {
        var subject: String
        var text: String
        var html: String
        static let fields: Set<String> = ["subject", "text", "html"]
    }

    /// The largest template part, in bytes.
    static let maxPartBytes = 64 * 1024

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        let managing = group.permitting(.notificationsManage)
        managing.get("notification-templates") { _, context in
            let accountId = context.accountId
            let own = try await store.read { try await $0.notificationTemplates.all(accountId: accountId) }
            let views = NotificationKind.allCases.map { kind in View(kind: kind, custom: own.first { $0.kind == kind }) }
            return try Response.json(PageBody(data: views, nextCursor: nil))
        }
        managing.get("notification-templates/:kind") { _, context in
            let (kind, accountId) = (try Self.kind(context), context.accountId)
            let own = try await store.read { try await $0.notificationTemplates.find(accountId: accountId, kind: kind) }
            return try Response.json(View(kind: kind, custom: own))
        }
        managing.put("notification-templates/:kind") { request, context in
            let kind = try Self.kind(context)
            let body = try await JSONBody.read(request, limit: limits.maxBodyBytes, allowedFields: Body.fields).decode(Body.self)
            for (field, value) in [("subject", body.subject), ("text", body.text), ("html", body.html)] {
                guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, value.utf8.count <= Self.maxPartBytes else {
                    throw TollgateError.invalid(field: field, message: "'\(field)' is a template of 1 to \(Self.maxPartBytes) bytes.")
                }
            }
            _ = try NotificationTemplates.compile(subject: body.subject, text: body.text, html: body.html)
            let (accountId, actor) = (context.accountId, context.token.id)
            let stored = try await writer.write(accountId: accountId) { session, now -> NotificationTemplateTable.Template in
                let before = try await session.notificationTemplates.find(accountId: accountId, kind: kind)
                let after = NotificationTemplateTable.Template(kind: kind, subject: body.subject, text: body.text, html: body.html, updatedAt: now)
                try await session.notificationTemplates.put(after, accountId: accountId)
                try await ChangeLog.record(
                    session, accountId: accountId, actor: actor, type: "notification_template.updated", objectType: "notification_template",
                    objectId: kind.rawValue, before: before, after: after, at: now)
                return after
            }
            return try Response.json(View(kind: kind, custom: stored))
        }
        managing.delete("notification-templates/:kind") { _, context in
            let (kind, accountId, actor) = (try Self.kind(context), context.accountId, context.token.id)
            _ = try await writer.write(accountId: accountId) { session, now -> Bool in
                guard let before = try await session.notificationTemplates.find(accountId: accountId, kind: kind) else { return false }
                try await session.notificationTemplates.delete(accountId: accountId, kind: kind)
                try await ChangeLog.record(
                    session, accountId: accountId, actor: actor, type: "notification_template.deleted", objectType: "notification_template",
                    objectId: kind.rawValue, before: before, after: nil as NotificationTemplateTable.Template?, at: now)
                return true
            }
            return try Response.json(View(kind: kind, custom: nil))
        }
    }

    static func kind(_ context: AuthenticatedContext) throws -> NotificationKind {
        let name = try context.parameters.require("kind")
        guard let kind = NotificationKind(rawValue: name) else { throw TollgateError.notFound(resource: "notification template", id: name) }
        return kind
    }
}
