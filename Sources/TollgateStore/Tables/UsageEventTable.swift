import Foundation
import TollgateDomain
import TollgateFormats

/// Usage events, keyed by the account and the sender's id: the key is the dedup, so an event is
/// stored once however often it is sent, by however many replicas at once.
public struct UsageEventTable {
    let sql: any SQLExecutor

    /// Rows per statement: 10 arguments each, under both engines' limits.
    static let rowsPerStatement = 500

    /// Inserts the events whose id the account has not stored yet and returns the ids it
    /// inserted. An id stored before (or by a concurrent transaction, which PostgreSQL waits for)
    /// is left as it is.
    public func insertNew(_ events: [UsageEvent]) async throws -> Set<String> {
        var inserted = Set<String>()
        for chunk in events.chunks(of: Self.rowsPerStatement) {
            let rows = try await sql.query(
                """
                INSERT INTO usage_events (account_id, id, license_id, machine_id, meter, quantity, occurred_at, properties, payload_hash, received_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                ON CONFLICT (account_id, id) DO NOTHING RETURNING id
                """,
                chunk.flatMap { event -> [SQLValue] in
                    [
                        .text(event.accountId), .text(event.id), .text(event.licenseId), .text(event.machineId), .text(event.meter),
                        .integer(event.quantity.micros), .integer(event.timestamp.epochMilliseconds), .text(event.properties),
                        .text(event.payloadHash), .integer(event.receivedAt.epochMilliseconds),
                    ]
                })
            inserted.formUnion(rows.compactMap { $0.string("id") })
        }
        return inserted
    }

    /// The payload hashes of the account's stored events among `ids`.
    public func payloadHashes(accountId: String, ids: [String]) async throws -> [String: String] {
        var hashes: [String: String] = [:]
        for chunk in ids.chunks(of: Self.rowsPerStatement) {
            let rows = try await sql.query(
                "SELECT id, payload_hash FROM usage_events WHERE account_id = ? AND id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))",
                [.text(accountId)] + chunk.map { .text($0) })
            for row in rows { if let id = row.string("id"), let hash = row.string("payload_hash") { hashes[id] = hash } }
        }
        return hashes
    }

    /// Deletes up to `limit` events (of any account) that occurred before `cutoff`, and the
    /// distinct values of periods that ended before it; returns the number of events deleted.
    public func deleteOlder(than cutoff: Date, limit: Int) async throws -> Int {
        let millis = cutoff.epochMilliseconds
        let doomed = try await sql.query(
            "SELECT account_id, id FROM usage_events WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?", [.integer(millis), .integer(Int64(limit))])
        for chunk in doomed.chunks(of: Self.rowsPerStatement) {
            try await sql.execute(
                "DELETE FROM usage_events WHERE \(Array(repeating: "(account_id = ? AND id = ?)", count: chunk.count).joined(separator: " OR "))",
                chunk.flatMap { [SQLValue.text($0.string("account_id") ?? ""), .text($0.string("id") ?? "")] })
        }
        // A period that ended before the cutoff takes no late event any more: its distinct
        // values are no longer needed to count (its counter stays).
        try await sql.execute(
            """
            DELETE FROM usage_distinct_values WHERE (period = 'hour' AND starts_at < ?) OR (period = 'day' AND starts_at < ?)
              OR (period = 'month' AND starts_at < ?) OR (period = 'year' AND starts_at < ?)
            """,
            [.integer(millis - 3_600_000), .integer(millis - 86_400_000), .integer(millis - 31 * 86_400_000), .integer(millis - 366 * 86_400_000)])
        return doomed.count
    }

    /// The number of events and the total quantity (millionths) of `meter` for `licenseId`,
    /// with `from <= occurred_at < to`.
    public func total(accountId: String, licenseId: String, meter: String, from: Date, to: Date) async throws -> (count: Int64, micros: Int64) {
        let row = try await sql.queryOne(
            """
            SELECT COUNT(*) AS events, CAST(COALESCE(SUM(quantity), 0) AS BIGINT) AS total FROM usage_events
            WHERE account_id = ? AND license_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?
            """,
            [.text(accountId), .text(licenseId), .text(meter), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)])
        return (row?.int("events") ?? 0, row?.int("total") ?? 0)
    }

    /// The stored events of the license's `meter` with `from <= occurred_at < to`: time (epoch
    /// milliseconds), quantity (millionths) and canonical properties, to compute readings from.
    public func readings(
        accountId: String, licenseId: String, meter: String, from: Date, to: Date
    ) async throws -> [(at: Int64, quantity: Int64, properties: String)] {
        try await sql.query(
            """
            SELECT occurred_at, quantity, properties FROM usage_events
            WHERE account_id = ? AND license_id = ? AND meter = ? AND occurred_at >= ? AND occurred_at < ?
            """,
            [.text(accountId), .text(licenseId), .text(meter), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)]
        ).compactMap { row in
            guard let at = row.int("occurred_at"), let quantity = row.int("quantity"), let properties = row.string("properties") else { return nil }
            return (at, quantity, properties)
        }
    }
}
