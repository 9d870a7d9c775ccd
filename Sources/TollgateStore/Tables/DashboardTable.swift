import Foundation
import TollgateDomain
import TollgateFormats

/// The admin dashboard's figures, each read from an index or a roll-up, never by scanning an
/// account's licenses, machines or validations: licenses by state (and the active ones whose time
/// is up), those expiring soon, validations per day and code (`validation_days`, kept by
/// ``ValidationEventTable/insert(_:)``), active machines now and per day (`machine_days`, kept by
/// ``recordActiveMachines(accountId:day:)``), each meter's month (`meter_months`, kept by
/// ``recordMeterMonths(accountId:monthStart:)``).
public struct DashboardTable {
    let sql: any SQLExecutor

    /// How many licenses of `accountId` are in each stored state.
    public func licensesByState(accountId: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await sql.query("SELECT state, COUNT(*) AS n FROM licenses WHERE account_id = ? GROUP BY state", [.text(accountId)]) {
            if let state = row.string("state") { counts[state] = Int(row.int("n") ?? 0) }
        }
        return counts
    }

    /// How many licenses in `state` expire in `[from, to)`.
    public func licensesExpiring(accountId: String, state: String, from: Date, to: Date) async throws -> Int {
        let row = try await sql.queryOne(
            "SELECT COUNT(*) AS n FROM licenses WHERE account_id = ? AND state = ? AND expires_at >= ? AND expires_at < ?",
            [.text(accountId), .text(state), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)])
        return Int(row?.int("n") ?? 0)
    }

    /// How many of the account's machines are active.
    public func activeMachines(accountId: String) async throws -> Int {
        let row = try await sql.queryOne("SELECT COUNT(*) AS n FROM machines WHERE account_id = ? AND state = 'active'", [.text(accountId)])
        return Int(row?.int("n") ?? 0)
    }

    /// Stores today's count of active machines (the chart's point for `day`).
    public func recordActiveMachines(accountId: String, day: Date) async throws {
        let start = day.epochMilliseconds / 86_400_000 * 86_400_000
        let count = try await activeMachines(accountId: accountId)
        try await sql.execute(
            "INSERT INTO machine_days (account_id, day, active) VALUES (?, ?, ?) ON CONFLICT (account_id, day) DO UPDATE SET active = excluded.active",
            [.text(accountId), .integer(start), .integer(Int64(count))])
    }

    /// Active machines per day since `since`, oldest first.
    public func machineDays(accountId: String, since: Date) async throws -> [(day: Date, active: Int)] {
        try await sql.query(
            "SELECT day, active FROM machine_days WHERE account_id = ? AND day >= ? ORDER BY day", [.text(accountId), .integer(since.epochMilliseconds)]
        ).compactMap { row in
            guard let day = row.int("day"), let active = row.int("active") else { return nil }
            return (Date(epochMilliseconds: day), Int(active))
        }
    }

    /// Validations per day and code since `since`.
    public func validationDays(accountId: String, since: Date) async throws -> [(day: Date, code: String, count: Int)] {
        try await sql.query(
            "SELECT day, code, count FROM validation_days WHERE account_id = ? AND day >= ? ORDER BY day, code",
            [.text(accountId), .integer(since.epochMilliseconds)]
        ).compactMap { row in
            guard let day = row.int("day"), let code = row.string("code"), let count = row.int("count") else { return nil }
            return (Date(epochMilliseconds: day), code, Int(count))
        }
    }

    /// Adds up the monthly counters of every license of `accountId`, per meter, for the month that
    /// starts at `monthStart` (one pass over the month's counter rows, by the hourly job).
    public func recordMeterMonths(accountId: String, monthStart: Date) async throws {
        try await sql.execute(
            """
            INSERT INTO meter_months (account_id, meter, starts_at, events, value)
            SELECT account_id, meter, starts_at, SUM(events), SUM(value) FROM usage_counters
            WHERE account_id = ? AND period = 'month' AND starts_at = ? GROUP BY account_id, meter, starts_at
            ON CONFLICT (account_id, meter, starts_at) DO UPDATE SET events = excluded.events, value = excluded.value
            """,
            [.text(accountId), .integer(monthStart.epochMilliseconds)])
    }

    /// The meters with the most events in the month that starts at `monthStart`, at most `limit`:
    /// the meter, its events, its value (millionths, the licenses' values added up).
    public func meterMonths(accountId: String, monthStart: Date, limit: Int) async throws -> [(meter: String, events: Int64, value: Int64)] {
        try await sql.query(
            "SELECT meter, events, value FROM meter_months WHERE account_id = ? AND starts_at = ? ORDER BY events DESC, meter LIMIT ?",
            [.text(accountId), .integer(monthStart.epochMilliseconds), .integer(Int64(limit))]
        ).compactMap { row in
            guard let meter = row.string("meter"), let events = row.int("events"), let value = row.int("value") else { return nil }
            return (meter, events, value)
        }
    }
}
