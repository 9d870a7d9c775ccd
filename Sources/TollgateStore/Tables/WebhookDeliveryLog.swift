import Foundation
import TollgateDomain
import TollgateFormats

/// The delivery log as the API reads it (`GET /v1/webhook-endpoints/{id}/deliveries`), a retry
/// by hand, and the clean-up of finished deliveries.
extension WebhookDeliveryTable {
    /// One attempt as recorded: its number (1 for the first) and its outcome.
    public struct RecordedAttempt: Sendable, Equatable {
        public var number: Int
        public var outcome: Attempt
    }

    /// The deliveries of `endpointId`, newest first, optionally only those in `state`; the cursor
    /// is the last delivery's id.
    public func page(accountId: String, endpointId: String, state: Delivery.State?, page: PageRequest) async throws -> Page<Delivery> {
        var conditions: [(clause: String, value: SQLValue)] = [("account_id = ?", .text(accountId)), ("endpoint_id = ?", .text(endpointId))]
        if let state { conditions.append(("state = ?", .text(state.rawValue))) }
        return try await sql.newestFirst("webhook_deliveries", conditions, page: page, id: \.id, decode: Self.delivery)
    }

    /// The delivery `id` of `endpointId`.
    public func find(id: String, accountId: String, endpointId: String) async throws -> Delivery? {
        try await sql.queryOne(
            "SELECT * FROM webhook_deliveries WHERE id = ? AND account_id = ? AND endpoint_id = ?", [.text(id), .text(accountId), .text(endpointId)]
        ).flatMap(Self.delivery)
    }

    /// The attempts of each of `deliveryIds`, in the order they were made.
    public func attempts(of deliveryIds: [String], accountId: String) async throws -> [String: [RecordedAttempt]] {
        var attempts: [String: [RecordedAttempt]] = [:]
        for chunk in deliveryIds.chunks(of: 500) {
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try await sql.query(
                "SELECT * FROM webhook_attempts WHERE account_id = ? AND delivery_id IN (\(placeholders)) ORDER BY delivery_id, attempt",
                [.text(accountId)] + chunk.map { .text($0) })
            for row in rows {
                guard let deliveryId = row.string("delivery_id"), let number = row.int("attempt"), let at = row.int("at") else { continue }
                let outcome = Attempt(
                    at: Date(epochMilliseconds: at), status: row.int("status").map(Int.init), durationMilliseconds: Int(row.int("duration_ms") ?? 0),
                    response: row.string("response"), error: row.string("error"))
                attempts[deliveryId, default: []].append(RecordedAttempt(number: Int(number), outcome: outcome))
            }
        }
        return attempts
    }

    /// Makes delivery `id` due at `now`: one still on its schedule is tried now (and keeps its
    /// schedule after), one that ended (succeeded or given up) is sent once more, by hand
    /// (``Delivery/manual``). `nil` when there is no such delivery; unchanged while an attempt of
    /// it is under way.
    public func retry(id: String, accountId: String, endpointId: String, at now: Date) async throws -> Delivery? {
        let millis = SQLValue.integer(now.epochMilliseconds)
        if let moved = try await sql.queryOne(
            """
            UPDATE webhook_deliveries SET manual = CASE WHEN state IN ('succeeded', 'failed') THEN 1 ELSE manual END, state = 'pending',
              next_attempt_at = ?, updated_at = ?
            WHERE id = ? AND account_id = ? AND endpoint_id = ? AND state <> 'delivering' RETURNING *
            """, [millis, millis, .text(id), .text(accountId), .text(endpointId)]
        ) {
            return Self.delivery(moved)
        }
        return try await find(id: id, accountId: accountId, endpointId: endpointId)
    }

    /// Deletes the deliveries of `endpointId` and their attempts (the endpoint is deleted).
    public func deleteEndpoint(_ endpointId: String, accountId: String) async throws {
        try await sql.execute(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE account_id = ? AND endpoint_id = ?)",
            [.text(accountId), .text(endpointId)])
        try await sql.execute("DELETE FROM webhook_deliveries WHERE account_id = ? AND endpoint_id = ?", [.text(accountId), .text(endpointId)])
    }

    /// Deletes deliveries that ended (succeeded or given up) before `cutoff`, with their attempts;
    /// returns how many.
    @discardableResult
    public func deleteFinished(before cutoff: Date) async throws -> Int {
        let finished = "SELECT id FROM webhook_deliveries WHERE state IN ('succeeded', 'failed') AND updated_at < ?"
        let arguments: [SQLValue] = [.integer(cutoff.epochMilliseconds)]
        try await sql.execute("DELETE FROM webhook_attempts WHERE delivery_id IN (\(finished))", arguments)
        return try await sql.query("DELETE FROM webhook_deliveries WHERE id IN (\(finished)) RETURNING id", arguments).count
    }
}
