import Foundation
import TollgateDomain
import TollgateFormats

/// The hours of `time_weighted_average` meters (``GaugeHour``), per license, meter and hour:
/// ingestion rewrites an hour from its stored readings whenever a batch adds to it, in the same
/// transaction, so an hour always summarizes every reading stored for it, however late they came.
public struct UsageGaugeTable {
    let sql: any SQLExecutor

    /// Writes each hour (a row per license, meter and hour), replacing what it held.
    public func replace(accountId: String, _ hours: [(licenseId: String, meter: String, hour: GaugeHour)]) async throws {
        for chunk in hours.chunks(of: 400) {
            try await sql.execute(
                """
                INSERT INTO usage_gauges (account_id, license_id, meter, starts_at, events, first_at, first_value, last_at, last_value, area)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                ON CONFLICT (account_id, license_id, meter, starts_at) DO UPDATE SET
                  events = excluded.events, first_at = excluded.first_at, first_value = excluded.first_value,
                  last_at = excluded.last_at, last_value = excluded.last_value, area = excluded.area
                """,
                chunk.flatMap { item -> [SQLValue] in
                    let hour = item.hour
                    return [
                        .text(accountId), .text(item.licenseId), .text(item.meter), .integer(hour.startsAt.epochMilliseconds), .integer(hour.events),
                        .integer(hour.firstAt), .integer(hour.firstValue), .integer(hour.lastAt), .integer(hour.lastValue), .text(String(hour.area)),
                    ]
                })
        }
    }

    /// The hours of the licenses of `scope` for `meter` that start in `from ..< to`, by start.
    public func hours(
        accountId: String, meter: String, from: Date, to: Date, scope: UsageAnalyticsTable.Scope
    ) async throws -> [(licenseId: String, hour: GaugeHour)] {
        let clause = scope.clause
        return try await sql.query(
            """
            SELECT license_id, starts_at, events, first_at, first_value, last_at, last_value, area FROM usage_gauges
            WHERE account_id = ? AND meter = ? AND starts_at >= ? AND starts_at < ?\(clause) ORDER BY starts_at
            """,
            [.text(accountId), .text(meter), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)] + scope.arguments(accountId: accountId)
        ).compactMap { row in
            guard let license = row.string("license_id"), let startsAt = row.int("starts_at"), let events = row.int("events"),
                let firstAt = row.int("first_at"), let firstValue = row.int("first_value"), let lastAt = row.int("last_at"),
                let lastValue = row.int("last_value"), let area = row.string("area").flatMap({ Int128($0) })
            else { return nil }
            return (
                license,
                GaugeHour(
                    startsAt: Date(epochMilliseconds: startsAt), events: events, firstAt: firstAt, firstValue: firstValue, lastAt: lastAt,
                    lastValue: lastValue, area: area)
            )
        }
    }

    /// Each license's level at `before`: the last reading of its latest hour before it.
    public func levels(accountId: String, meter: String, before: Date, scope: UsageAnalyticsTable.Scope) async throws -> [String: Int64] {
        let clause = scope.clause
        var levels: [String: Int64] = [:]
        for row in try await sql.query(
            """
            SELECT g.license_id, g.last_value FROM (
              SELECT license_id, MAX(starts_at) AS latest FROM usage_gauges
              WHERE account_id = ? AND meter = ? AND starts_at < ?\(clause) GROUP BY license_id) AS m
            JOIN usage_gauges AS g ON g.account_id = ? AND g.license_id = m.license_id AND g.meter = ? AND g.starts_at = m.latest
            """,
            [.text(accountId), .text(meter), .integer(before.epochMilliseconds)] + scope.arguments(accountId: accountId)
                + [.text(accountId), .text(meter)])
        {
            if let license = row.string("license_id"), let value = row.int("last_value") { levels[license] = value }
        }
        return levels
    }
}
