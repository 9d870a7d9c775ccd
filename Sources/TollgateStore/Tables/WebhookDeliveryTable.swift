import Foundation
import TollgateDomain
import TollgateFormats

/// Webhook deliveries: one row per event and endpoint that wants it, made from the event log by
/// the fan-out (``fanOut(accountId:limit:at:)``) and sent by the deliverer, which claims due rows
/// with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so each attempt is made by one replica
/// and a killed one's claims are taken over when their lease ends. Delivery is at least once: an
/// attempt whose outcome was not written before a kill is made again, with the same
/// `webhook-id` (the event's id), which receivers dedupe by.
public struct WebhookDeliveryTable {
    let sql: any SQLExecutor

    /// A delivery as stored.
    public struct Delivery: Sendable, Equatable {
        public enum State: String, APIEnum { case pending, delivering, succeeded, failed }
        public var id: String
        public var accountId: String
        public var endpointId: String
        public var eventId: String
        public var eventSequence: Int64
        public var eventType: String
        public var state: State
        /// Attempts made, this one included while it is being made.
        public var attempts: Int
        public var nextAttemptAt: Date
        public var leaseOwner: String?
        public var lastStatus: Int?
        public var lastError: String?
        /// Sent again by hand (``WebhookDeliveryTable/retry(id:accountId:at:)``) after it had
        /// ended: its attempt ends it again, whatever the answer.
        public var manual: Bool
        public var createdAt: Date
        public var updatedAt: Date
    }

    /// The last event sequence of `accountId` committed so far.
    public func currentSequence(accountId: String) async throws -> Int64 {
        try await sql.queryOne("SELECT event_sequence FROM accounts WHERE id = ?", [.text(accountId)])?.int("event_sequence") ?? 0
    }

    /// Starts the fan-out of `accountId` at its current event sequence, unless it has started:
    /// an account's first endpoint gets the events after its creation, not the log's history.
    public func startCursor(accountId: String) async throws {
        try await sql.execute(
            """
            INSERT INTO webhook_cursors (account_id, event_sequence)
            SELECT id, event_sequence FROM accounts WHERE id = ? ON CONFLICT (account_id) DO NOTHING
            """, [.text(accountId)])
    }

    /// The accounts whose event log has moved past their fan-out cursor.
    public func accountsBehind() async throws -> [String] {
        try await sql.query(
            "SELECT c.account_id FROM webhook_cursors c JOIN accounts a ON a.id = c.account_id WHERE a.event_sequence > c.event_sequence", []
        ).compactMap { $0.string("account_id") }
    }

    /// Makes the deliveries of up to `limit` events of `accountId` after its cursor, one for each
    /// enabled endpoint that wants the event and was created before it (`startSequence`), and
    /// moves the cursor past them; returns how many events it passed (0 when it has caught up). Safe to run twice at
    /// once (the pair of endpoint and event is unique, and the cursor only moves forward).
    public func fanOut(accountId: String, limit: Int, at now: Date) async throws -> Int {
        guard let cursor = try await sql.queryOne("SELECT event_sequence FROM webhook_cursors WHERE account_id = ?", [.text(accountId)])?.int("event_sequence")
        else { return 0 }
        let events = try await sql.query(
            "SELECT id, sequence, type, object_id FROM events WHERE account_id = ? AND sequence > ? ORDER BY sequence LIMIT ?",
            [.text(accountId), .integer(cursor), .integer(Int64(limit))])
        guard let last = events.last?.int("sequence") else { return 0 }
        let endpoints = try await sql.query(
            "SELECT data FROM webhook_endpoints WHERE account_id = ? AND status = 'enabled'", [.text(accountId)]
        ).compactMap { $0.string("data").flatMap { try? DocumentCoding.decode(WebhookEndpoint.self, from: $0) } }
        for event in events {
            guard let eventId = event.string("id"), let sequence = event.int("sequence"), let type = event.string("type") else { continue }
            // A ping goes to the endpoint pinged, whatever it wants, and to no other.
            let ping = type == Self.pingType ? event.string("object_id") : nil
            for endpoint in endpoints where sequence > endpoint.startSequence && (ping.map { $0 == endpoint.id } ?? endpoint.wants(type)) {
                try await insert(accountId: accountId, endpointId: endpoint.id, eventId: eventId, sequence: sequence, type: type, at: now)
            }
        }
        try await sql.execute(
            "UPDATE webhook_cursors SET event_sequence = ? WHERE account_id = ? AND event_sequence < ?", [.integer(last), .text(accountId), .integer(last)])
        return events.count
    }

    /// The type of the event `POST …/actions/ping` writes, delivered only to the pinged endpoint.
    public static let pingType = "webhook_endpoint.pinged"

    /// Makes the delivery of event `eventId` to `endpointId`, due at `now`; `nil` when it exists.
    @discardableResult
    public func insert(accountId: String, endpointId: String, eventId: String, sequence: Int64, type: String, at now: Date) async throws -> String? {
        let millis = now.epochMilliseconds
        return try await sql.queryOne(
            """
            INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_id, event_sequence, event_type, state, attempts,
              next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id
            """,
            [
                .text(Identifier.make(.webhookDelivery, at: now)), .text(accountId), .text(endpointId), .text(eventId), .integer(sequence),
                .text(type), .integer(millis), .integer(millis), .integer(millis),
            ]
        )?.string("id")
    }

    /// Deliveries due at `now`: pending with their time come, or being delivered under a lease
    /// that ran out.
    static func due(at now: Date) -> (condition: String, arguments: [SQLValue]) {
        let millis = SQLValue.integer(now.epochMilliseconds)
        return ("(state = 'pending' AND next_attempt_at <= ?) OR (state = 'delivering' AND lease_until <= ?)", [millis, millis])
    }

    /// Whether a delivery is due at `now`.
    public func anyDue(at now: Date) async throws -> Bool {
        let (condition, arguments) = Self.due(at: now)
        return try await sql.queryOne("SELECT 1 AS due FROM webhook_deliveries WHERE \(condition) LIMIT 1", arguments) != nil
    }

    /// Claims up to `limit` deliveries due at `now` (``due(at:)``) for `owner` until `now + lease`,
    /// and counts the attempt.
    public func claim(owner: String, at now: Date, lease: TimeInterval, limit: Int) async throws -> [Delivery] {
        let millis = now.epochMilliseconds
        let (condition, arguments) = Self.due(at: now)
        return try await sql.query(
            """
            UPDATE webhook_deliveries SET state = 'delivering', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
            WHERE id IN (SELECT id FROM webhook_deliveries WHERE \(condition) ORDER BY next_attempt_at LIMIT ?\(sql.dialect.skipLocked))
            RETURNING *
            """,
            [.text(owner), .integer(millis + Int64(lease * 1000)), .integer(millis)] + arguments + [.integer(Int64(limit))]
        ).compactMap(Self.delivery).sorted { ($0.eventSequence, $0.id) < ($1.eventSequence, $1.id) }
    }

    /// One attempt's outcome.
    public struct Attempt: Sendable, Equatable {
        public var at: Date
        /// The HTTP status, or `nil` when no answer came (refused, timed out, target not allowed).
        public var status: Int?
        public var durationMilliseconds: Int
        /// The start of the answer's body (at most 1 KiB of text).
        public var response: String?
        public var error: String?

        public init(at: Date, status: Int?, durationMilliseconds: Int, response: String?, error: String?) {
            self.at = at
            self.status = status
            self.durationMilliseconds = durationMilliseconds
            self.response = response
            self.error = error
        }

        /// A 2xx answer.
        public var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
    }

    /// Records `attempt` of `delivery` (claimed by `owner`) and what comes next: done after a
    /// 2xx, otherwise again at `retryAt`, or given up when that is `nil`. `false` (and nothing
    /// written) when the claim is no longer `owner`'s.
    public func record(_ attempt: Attempt, of delivery: Delivery, owner: String, retryAt: Date?) async throws -> Bool {
        let state: Delivery.State = attempt.succeeded ? .succeeded : retryAt == nil ? .failed : .pending
        let moved = try await sql.query(
            """
            UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, last_status = ?,
              last_error = ?, updated_at = ?
            WHERE id = ? AND lease_owner = ? AND state = 'delivering' AND attempts = ? RETURNING id
            """,
            [
                .text(state.rawValue), .integer((retryAt ?? delivery.nextAttemptAt).epochMilliseconds), .integer(attempt.status.map(Int64.init)),
                .text(attempt.error), .integer(attempt.at.epochMilliseconds), .text(delivery.id), .text(owner), .integer(Int64(delivery.attempts)),
            ])
        guard !moved.isEmpty else { return false }
        try await sql.execute(
            """
            INSERT INTO webhook_attempts (delivery_id, account_id, attempt, at, status, duration_ms, response, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id, attempt) DO NOTHING
            """,
            [
                .text(delivery.id), .text(delivery.accountId), .integer(Int64(delivery.attempts)), .integer(attempt.at.epochMilliseconds),
                .integer(attempt.status.map(Int64.init)), .integer(Int64(attempt.durationMilliseconds)), .text(attempt.response), .text(attempt.error),
            ])
        return true
    }

    /// The deliveries of `endpointId`, newest first.
    public func list(accountId: String, endpointId: String, limit: Int) async throws -> [Delivery] {
        try await sql.query(
            "SELECT * FROM webhook_deliveries WHERE account_id = ? AND endpoint_id = ? ORDER BY id DESC LIMIT ?",
            [.text(accountId), .text(endpointId), .integer(Int64(limit))]
        ).compactMap(Self.delivery)
    }

    static func delivery(_ row: SQLRow) -> Delivery? {
        guard let id = row.string("id"), let accountId = row.string("account_id"), let endpointId = row.string("endpoint_id"),
            let eventId = row.string("event_id"), let sequence = row.int("event_sequence"), let type = row.string("event_type"),
            let state = row.string("state").flatMap(Delivery.State.init(rawValue:)), let attempts = row.int("attempts"),
            let next = row.int("next_attempt_at"), let created = row.int("created_at"), let updated = row.int("updated_at")
        else { return nil }
        return Delivery(
            id: id, accountId: accountId, endpointId: endpointId, eventId: eventId, eventSequence: sequence, eventType: type, state: state,
            attempts: Int(attempts), nextAttemptAt: Date(epochMilliseconds: next), leaseOwner: row.string("lease_owner"),
            lastStatus: row.int("last_status").map(Int.init), lastError: row.string("last_error"), manual: row.int("manual") == 1, createdAt: Date(epochMilliseconds: created),
            updatedAt: Date(epochMilliseconds: updated))
    }
}
