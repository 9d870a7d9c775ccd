import Foundation
import TollgateDomain
import TollgateFormats

/// The notification log: every email Tollgate means to send, made once per occasion (the
/// account's `occasion` key is unique: `license_issued:<license>`,
/// `renewal_reminder:<license>:<expiry>:<days>`, …), with its rendered content and a fixed
/// `Message-ID`, then sent by a job (`notification.send`). Its state is `pending` until the SMTP
/// server took it (`sent`), refused it for good or every attempt failed (`failed`), or it was
/// not sent at all (`not_sent`, with the reason: no SMTP configured, the customer opted out).
public struct NotificationTable {
    let sql: any SQLExecutor

    public struct Notification: Sendable, Equatable {
        public enum State: String, APIEnum { case pending, sent, failed, notSent = "not_sent" }
        public var id: String
        public var accountId: String
        public var kind: NotificationKind
        public var occasion: String
        public var recipient: String
        public var customerId: String?
        /// The license, user or other object it is about.
        public var objectId: String?
        public var subject: String
        public var text: String
        public var html: String
        public var messageId: String
        public var state: State
        public var attempts: Int
        public var error: String?
        public var createdAt: Date
        public var updatedAt: Date
        public var sentAt: Date?
        /// For the kinds a customer may turn off: the link that does (sent as `List-Unsubscribe`),
        /// and the keyed hash of its secret.
        public var unsubscribeURL: String?
        public var unsubscribeHash: String?

        public init(
            id: String, accountId: String, kind: NotificationKind, occasion: String, recipient: String, customerId: String?, objectId: String?,
            subject: String, text: String, html: String, messageId: String, state: State = .pending, attempts: Int = 0, error: String? = nil,
            createdAt: Date, updatedAt: Date, sentAt: Date? = nil, unsubscribeURL: String? = nil, unsubscribeHash: String? = nil
        ) {
            self.id = id
            self.accountId = accountId
            self.kind = kind
            self.occasion = occasion
            self.recipient = recipient
            self.customerId = customerId
            self.objectId = objectId
            self.subject = subject
            self.text = text
            self.html = html
            self.messageId = messageId
            self.state = state
            self.attempts = attempts
            self.error = error
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.sentAt = sentAt
            self.unsubscribeURL = unsubscribeURL
            self.unsubscribeHash = unsubscribeHash
        }
    }

    /// Adds `notification` unless its occasion has one already; whether it was added.
    @discardableResult
    public func insert(_ notification: Notification) async throws -> Bool {
        let n = notification
        return try await sql.queryOne(
            """
            INSERT INTO notifications (id, account_id, kind, occasion, recipient, customer_id, object_id, subject, text_body, html_body,
              message_id, state, attempts, error, created_at, updated_at, sent_at, unsubscribe_url, unsubscribe_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, occasion) DO NOTHING RETURNING id
            """,
            [
                .text(n.id), .text(n.accountId), .text(n.kind.rawValue), .text(n.occasion), .text(n.recipient), .text(n.customerId), .text(n.objectId),
                .text(n.subject), .text(n.text), .text(n.html), .text(n.messageId), .text(n.state.rawValue), .integer(Int64(n.attempts)), .text(n.error),
                .integer(n.createdAt.epochMilliseconds), .integer(n.updatedAt.epochMilliseconds), .integer(n.sentAt?.epochMilliseconds),
                .text(n.unsubscribeURL), .text(n.unsubscribeHash),
            ]) != nil
    }

    public func find(id: String) async throws -> Notification? {
        try await sql.queryOne("SELECT * FROM notifications WHERE id = ?", [.text(id)]).flatMap(Self.notification)
    }

    /// Counts an attempt at sending `id` (before the SMTP transaction begins).
    public func countAttempt(id: String, at now: Date) async throws {
        try await sql.execute(
            "UPDATE notifications SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = 'pending'", [.integer(now.epochMilliseconds), .text(id)])
    }

    /// Records the end of `id`: `state` (not `pending`), with the error or reason, if any.
    public func finish(id: String, state: Notification.State, error: String?, at now: Date) async throws {
        try await sql.execute(
            "UPDATE notifications SET state = ?, error = ?, sent_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
            [.text(state.rawValue), .text(error), .integer(state == .sent ? now.epochMilliseconds : nil), .integer(now.epochMilliseconds), .text(id)])
    }

    /// Records a failed attempt of `id` that will be retried.
    public func noteFailure(id: String, error: String, at now: Date) async throws {
        try await sql.execute(
            "UPDATE notifications SET error = ?, updated_at = ? WHERE id = ? AND state = 'pending'", [.text(error), .integer(now.epochMilliseconds), .text(id)])
    }

    /// The account's notifications, newest first; filters by kind, customer, object and state.
    public func page(
        accountId: String, kind: NotificationKind?, customerId: String?, objectId: String?, state: Notification.State?, page: PageRequest
    ) async throws -> Page<Notification> {
        var conditions: [(clause: String, value: SQLValue)] = [("account_id = ?", .text(accountId))]
        for (column, value) in [("kind", kind?.rawValue), ("customer_id", customerId), ("object_id", objectId), ("state", state?.rawValue)] {
            if let value { conditions.append(("\(column) = ?", .text(value))) }
        }
        return try await sql.newestFirst("notifications", conditions, page: page, id: \.id, decode: Self.notification)
    }

    // MARK: The planner's place in the event log

    /// The accounts whose event log has moved past the planner's cursor. An account made since
    /// migration 25 starts at its first event; the accounts of an installation that upgraded
    /// started at their sequence then (no emails about the past).
    public func accountsBehind() async throws -> [String] {
        try await sql.execute(
            """
            INSERT INTO notification_cursors (account_id, event_sequence)
            SELECT id, 0 FROM accounts WHERE id NOT IN (SELECT account_id FROM notification_cursors)
            """, [])
        return try await sql.query(
            "SELECT c.account_id FROM notification_cursors c JOIN accounts a ON a.id = c.account_id WHERE a.event_sequence > c.event_sequence", []
        ).compactMap { $0.string("account_id") }
    }

    /// The planner's cursor of `accountId`.
    public func cursor(accountId: String) async throws -> Int64 {
        try await sql.queryOne("SELECT event_sequence FROM notification_cursors WHERE account_id = ?", [.text(accountId)])?.int("event_sequence") ?? 0
    }

    /// Moves the cursor of `accountId` forward to `sequence`.
    public func advance(accountId: String, to sequence: Int64) async throws {
        try await sql.execute(
            "UPDATE notification_cursors SET event_sequence = ? WHERE account_id = ? AND event_sequence < ?",
            [.integer(sequence), .text(accountId), .integer(sequence)])
    }

    static func notification(_ row: SQLRow) -> Notification? {
        guard let id = row.string("id"), let accountId = row.string("account_id"), let kind = row.string("kind").flatMap(NotificationKind.init(rawValue:)),
            let occasion = row.string("occasion"), let recipient = row.string("recipient"), let subject = row.string("subject"),
            let text = row.string("text_body"), let html = row.string("html_body"), let messageId = row.string("message_id"),
            let state = row.string("state").flatMap(Notification.State.init(rawValue:)), let attempts = row.int("attempts"),
            let created = row.int("created_at"), let updated = row.int("updated_at")
        else { return nil }
        return Notification(
            id: id, accountId: accountId, kind: kind, occasion: occasion, recipient: recipient, customerId: row.string("customer_id"),
            objectId: row.string("object_id"), subject: subject, text: text, html: html, messageId: messageId, state: state, attempts: Int(attempts),
            error: row.string("error"), createdAt: Date(epochMilliseconds: created), updatedAt: Date(epochMilliseconds: updated),
            sentAt: row.int("sent_at").map(Date.init(epochMilliseconds:)), unsubscribeURL: row.string("unsubscribe_url"),
            unsubscribeHash: row.string("unsubscribe_hash"))
    }
}
