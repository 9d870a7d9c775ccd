import Foundation
import TollgateDomain
import TollgateFormats

/// Usage counters per license, meter and calendar period (``UsageTally``), the distinct values
/// of `unique_count` meters, and the thresholds crossed. Ingestion adds to them in the transaction
/// that stores the events, so they always equal the stored events.
public struct UsageCounterTable {
    let sql: any SQLExecutor

    /// One counter's key and what to add to it.
    public struct Addition: Sendable {
        public var accountId: String
        public var licenseId: String
        public var meter: String
        public var period: LimitPeriod
        public var startsAt: Date
        public var aggregation: MeterAggregation
        public var tally: UsageTally

        public init(
            accountId: String, licenseId: String, meter: String, period: LimitPeriod, startsAt: Date, aggregation: MeterAggregation,
            tally: UsageTally
        ) {
            self.accountId = accountId
            self.licenseId = licenseId
            self.meter = meter
            self.period = period
            self.startsAt = startsAt
            self.aggregation = aggregation
            self.tally = tally
        }
    }

    /// Rows per statement: 9 arguments each.
    static let rowsPerStatement = 500

    /// Adds each tally to its counter (one addition per key: merge them first), creating the
    /// counters that do not exist. An empty tally changes nothing but, on PostgreSQL, locks the
    /// counter's row until the transaction ends: ingestion takes it before checking a blocking
    /// limit, so two transactions cannot both take the last units.
    public func add(_ additions: [Addition]) async throws {
        // Each SET expression reads the row as it was; the merge is UsageTally.merge's.
        for chunk in additions.chunks(of: Self.rowsPerStatement) {
            try await sql.execute(
                """
                INSERT INTO usage_counters (account_id, license_id, meter, period, starts_at, aggregation, events, value, latest_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                ON CONFLICT (account_id, license_id, meter, period, starts_at) DO UPDATE SET
                  value = CASE
                    WHEN excluded.events = 0 THEN usage_counters.value
                    WHEN usage_counters.events = 0 THEN excluded.value
                    WHEN excluded.aggregation = 'max' THEN
                      CASE WHEN excluded.value > usage_counters.value THEN excluded.value ELSE usage_counters.value END
                    WHEN excluded.aggregation = 'latest' THEN
                      CASE WHEN excluded.latest_at > usage_counters.latest_at
                        OR (excluded.latest_at = usage_counters.latest_at AND excluded.value > usage_counters.value)
                      THEN excluded.value ELSE usage_counters.value END
                    WHEN excluded.value > 0 AND usage_counters.value > 9223372036854775807 - excluded.value THEN 9223372036854775807
                    WHEN excluded.value < 0 AND usage_counters.value < -9223372036854775807 - excluded.value THEN -9223372036854775807
                    ELSE usage_counters.value + excluded.value END,
                  events = usage_counters.events + excluded.events,
                  latest_at = CASE WHEN excluded.latest_at > usage_counters.latest_at THEN excluded.latest_at ELSE usage_counters.latest_at END
                """,
                chunk.flatMap { addition -> [SQLValue] in
                    [
                        .text(addition.accountId), .text(addition.licenseId), .text(addition.meter), .text(addition.period.rawValue),
                        .integer(addition.startsAt.epochMilliseconds), .text(addition.aggregation.rawValue), .integer(addition.tally.events),
                        .integer(addition.tally.value), .integer(addition.tally.latestAt),
                    ]
                })
        }
    }

    /// One distinct value of a `unique_count` meter in one period.
    public struct DistinctValue: Hashable, Sendable {
        public var licenseId: String
        public var meter: String
        public var period: LimitPeriod
        public var startsAt: Date
        public var value: String

        public init(licenseId: String, meter: String, period: LimitPeriod, startsAt: Date, value: String) {
            self.licenseId = licenseId
            self.meter = meter
            self.period = period
            self.startsAt = startsAt
            self.value = value
        }
    }

    /// Records distinct values and returns the ones not seen before in their period.
    public func insertDistinct(accountId: String, _ values: [DistinctValue]) async throws -> [DistinctValue] {
        var inserted: [DistinctValue] = []
        for chunk in values.chunks(of: Self.rowsPerStatement) {
            let rows = try await sql.query(
                """
                INSERT INTO usage_distinct_values (account_id, license_id, meter, period, starts_at, value)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                ON CONFLICT DO NOTHING RETURNING license_id, meter, period, starts_at, value
                """,
                chunk.flatMap { value -> [SQLValue] in
                    [
                        .text(accountId), .text(value.licenseId), .text(value.meter), .text(value.period.rawValue),
                        .integer(value.startsAt.epochMilliseconds), .text(value.value),
                    ]
                })
            for row in rows {
                guard let license = row.string("license_id"), let meter = row.string("meter"),
                    let period = row.string("period").flatMap(LimitPeriod.init(rawValue:)), let startsAt = row.int("starts_at"),
                    let value = row.string("value")
                else { continue }
                inserted.append(
                    DistinctValue(licenseId: license, meter: meter, period: period, startsAt: Date(epochMilliseconds: startsAt), value: value))
            }
        }
        return inserted
    }

    /// Whether `value` was seen before in its period.
    public func hasDistinct(accountId: String, _ value: DistinctValue) async throws -> Bool {
        try await sql.queryOne(
            "SELECT 1 AS seen FROM usage_distinct_values WHERE account_id = ? AND license_id = ? AND meter = ? AND period = ? AND starts_at = ? AND value = ?",
            [
                .text(accountId), .text(value.licenseId), .text(value.meter), .text(value.period.rawValue),
                .integer(value.startsAt.epochMilliseconds), .text(value.value),
            ]) != nil
    }

    /// The counters of `period` for the license's meter that start in `from ..< to`, by start.
    public func tallies(
        accountId: String, licenseId: String, meter: String, period: LimitPeriod, from: Date, to: Date
    ) async throws -> [(startsAt: Date, tally: UsageTally)] {
        try await sql.query(
            """
            SELECT starts_at, events, value, latest_at FROM usage_counters
            WHERE account_id = ? AND license_id = ? AND meter = ? AND period = ? AND starts_at >= ? AND starts_at < ?
            ORDER BY starts_at
            """,
            [
                .text(accountId), .text(licenseId), .text(meter), .text(period.rawValue), .integer(from.epochMilliseconds),
                .integer(to.epochMilliseconds),
            ]
        ).compactMap(Self.tally)
    }

    static func tally(_ row: SQLRow) -> (startsAt: Date, tally: UsageTally)? {
        guard let startsAt = row.int("starts_at"), let events = row.int("events"), let value = row.int("value"),
            let latestAt = row.int("latest_at")
        else { return nil }
        return (Date(epochMilliseconds: startsAt), UsageTally(events: events, value: value, latestAt: latestAt))
    }

    /// Marks `threshold` (percent) crossed for the license's meter in the period starting at
    /// `startsAt`; `true` the first time only.
    public func markThreshold(
        accountId: String, licenseId: String, meter: String, period: LimitPeriod, startsAt: Date, threshold: Int, at now: Date
    ) async throws -> Bool {
        !(try await sql.query(
            """
            INSERT INTO usage_thresholds (account_id, license_id, meter, period, starts_at, threshold, crossed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING threshold
            """,
            [
                .text(accountId), .text(licenseId), .text(meter), .text(period.rawValue), .integer(startsAt.epochMilliseconds),
                .integer(Int64(threshold)), .integer(now.epochMilliseconds),
            ]
        ).isEmpty)
    }
}
