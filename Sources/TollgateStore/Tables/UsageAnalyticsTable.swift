import Foundation
import TollgateDomain
import TollgateFormats

/// The roll-ups analytics read: value distributions per license, meter and hour
/// (`usage_histograms`), the days each license used each feature (`feature_uses`), and reads of
/// the usage counters across licenses. Ingestion and the validation log keep them in the
/// transactions that write what they summarize; no query here reads raw events.
public struct UsageAnalyticsTable {
    let sql: any SQLExecutor

    /// Which licenses a read covers.
    public enum Scope: Sendable, Equatable {
        case account
        case license(String)
        case customer(String)
        case product(String)

        /// The clause on `license_id`; its arguments are ``arguments(accountId:)``.
        var clause: String {
            switch self {
            case .account: ""
            case .license: " AND license_id = ?"
            case .customer: " AND license_id IN (SELECT id FROM licenses WHERE account_id = ? AND customer_id = ?)"
            case .product: " AND license_id IN (SELECT id FROM licenses WHERE account_id = ? AND product_id = ?)"
            }
        }

        func arguments(accountId: String) -> [SQLValue] {
            switch self {
            case .account: []
            case .license(let id): [.text(id)]
            case .customer(let id), .product(let id): [.text(accountId), .text(id)]
            }
        }
    }

    /// One distribution row's key and the events to add to its bucket.
    public struct HistogramAddition: Hashable, Sendable {
        public var licenseId: String
        public var meter: String
        /// The hour.
        public var startsAt: Date
        public var bucket: Int64

        public init(licenseId: String, meter: String, startsAt: Date, bucket: Int64) {
            self.licenseId = licenseId
            self.meter = meter
            self.startsAt = startsAt
            self.bucket = bucket
        }
    }

    /// Rows per statement: 6 arguments each.
    static let rowsPerStatement = 500

    /// Adds events to distribution buckets; pass them sorted, so concurrent transactions take
    /// their rows' locks in one order.
    public func addToHistograms(accountId: String, _ additions: [(HistogramAddition, Int64)]) async throws {
        for chunk in additions.chunks(of: Self.rowsPerStatement) {
            try await sql.execute(
                """
                INSERT INTO usage_histograms (account_id, license_id, meter, starts_at, bucket, events)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                ON CONFLICT (account_id, license_id, meter, starts_at, bucket) DO UPDATE SET events = usage_histograms.events + excluded.events
                """,
                chunk.flatMap { key, events -> [SQLValue] in
                    [
                        .text(accountId), .text(key.licenseId), .text(key.meter), .integer(key.startsAt.epochMilliseconds), .integer(key.bucket),
                        .integer(events),
                    ]
                })
        }
    }

    /// One day a license used a feature.
    public struct FeatureUse: Hashable, Sendable, Codable, Comparable {
        public var feature: String
        /// The day's start (UTC).
        public var day: Date
        public var licenseId: String

        public init(feature: String, day: Date, licenseId: String) {
            self.feature = feature
            self.day = day
            self.licenseId = licenseId
        }

        /// Key order: writers insert in it, so concurrent transactions lock rows in one order.
        public static func < (a: FeatureUse, b: FeatureUse) -> Bool { (a.feature, a.day, a.licenseId) < (b.feature, b.day, b.licenseId) }
    }

    /// Records feature uses; ones already recorded stay as they are.
    public func recordFeatureUses(accountId: String, _ uses: [FeatureUse]) async throws {
        for chunk in uses.chunks(of: Self.rowsPerStatement) {
            try await sql.execute(
                """
                INSERT INTO feature_uses (account_id, feature, day, license_id)
                VALUES \(Array(repeating: "(?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")) ON CONFLICT DO NOTHING
                """,
                chunk.flatMap { [.text(accountId), .text($0.feature), .integer($0.day.epochMilliseconds), .text($0.licenseId)] })
        }
    }

    /// The number of distinct licenses that used each feature on the days in `from ..< to`.
    public func adoption(accountId: String, productId: String?, from: Date, to: Date) async throws -> [(feature: String, licenses: Int64)] {
        let scope: Scope = productId.map(Scope.product) ?? .account
        let clause = scope.clause
        return try await sql.query(
            """
            SELECT feature, COUNT(DISTINCT license_id) AS licenses FROM feature_uses
            WHERE account_id = ? AND day >= ? AND day < ?\(clause) GROUP BY feature ORDER BY licenses DESC, feature
            """,
            [.text(accountId), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)] + scope.arguments(accountId: accountId)
        ).compactMap { row in
            guard let feature = row.string("feature"), let licenses = row.int("licenses") else { return nil }
            return (feature, licenses)
        }
    }

    /// A counter row of a read across licenses.
    public struct CounterRow: Sendable {
        public var licenseId: String
        public var startsAt: Date
        public var tally: UsageTally
    }

    /// The counters of `period` for `meter` that start in `from ..< to`, for the licenses of
    /// `scope`, by start.
    public func counters(
        accountId: String, meter: String, period: LimitPeriod, from: Date, to: Date, scope: Scope
    ) async throws -> [CounterRow] {
        let clause = scope.clause
        return try await sql.query(
            """
            SELECT license_id, starts_at, events, value, latest_at FROM usage_counters
            WHERE account_id = ? AND meter = ? AND period = ? AND starts_at >= ? AND starts_at < ?\(clause)
            ORDER BY starts_at
            """,
            [.text(accountId), .text(meter), .text(period.rawValue), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)]
                + scope.arguments(accountId: accountId)
        ).compactMap { row in
            guard let license = row.string("license_id"), let (startsAt, tally) = UsageCounterTable.tally(row) else { return nil }
            return CounterRow(licenseId: license, startsAt: startsAt, tally: tally)
        }
    }

    /// The totals of an additive meter's (`count`, `sum`) counters of `period` in `from ..< to`
    /// for the licenses of `scope`, per slot of `slotMilliseconds` (1: per counter start): the
    /// database adds them, so a month of hours for every license is one answer per slot.
    public func sums(
        accountId: String, meter: String, period: LimitPeriod, from: Date, to: Date, scope: Scope, slotMilliseconds: Int64
    ) async throws -> [(slot: Int64, events: Int64, value: Int64)] {
        let clause = scope.clause
        return try await sql.query(
            """
            SELECT starts_at / ? AS slot, CAST(SUM(events) AS BIGINT) AS events, CAST(SUM(value) AS BIGINT) AS total FROM usage_counters
            WHERE account_id = ? AND meter = ? AND period = ? AND starts_at >= ? AND starts_at < ?\(clause)
            GROUP BY slot ORDER BY slot
            """,
            [
                .integer(slotMilliseconds), .text(accountId), .text(meter), .text(period.rawValue), .integer(from.epochMilliseconds),
                .integer(to.epochMilliseconds),
            ] + scope.arguments(accountId: accountId)
        ).compactMap { row in
            guard let slot = row.int("slot"), let events = row.int("events"), let value = row.int("total") else { return nil }
            return (slot, events, value)
        }
    }

    /// The `limit` licenses of `scope` with the largest total (`max`: largest value) of the
    /// meter's counters of `period` in `from ..< to`.
    public func top(
        accountId: String, meter: String, period: LimitPeriod, largest: Bool, from: Date, to: Date, scope: Scope, limit: Int
    ) async throws -> [(licenseId: String, events: Int64, value: Int64)] {
        let clause = scope.clause
        return try await sql.query(
            """
            SELECT license_id, CAST(SUM(events) AS BIGINT) AS events, CAST(\(largest ? "MAX" : "SUM")(value) AS BIGINT) AS total FROM usage_counters
            WHERE account_id = ? AND meter = ? AND period = ? AND starts_at >= ? AND starts_at < ?\(clause)
            GROUP BY license_id ORDER BY total DESC, license_id LIMIT ?
            """,
            [.text(accountId), .text(meter), .text(period.rawValue), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)]
                + scope.arguments(accountId: accountId) + [.integer(Int64(limit))]
        ).compactMap { row in
            guard let license = row.string("license_id"), let events = row.int("events"), let value = row.int("total") else { return nil }
            return (license, events, value)
        }
    }

    /// The distribution of the meter's values in `from ..< to` for the licenses of `scope`, per
    /// slot of `slotMilliseconds` (hours or days).
    public func distributions(
        accountId: String, meter: String, from: Date, to: Date, scope: Scope, slotMilliseconds: Int64
    ) async throws -> [Int64: UsageDistribution] {
        let clause = scope.clause
        let rows = try await sql.query(
            """
            SELECT starts_at / ? AS slot, bucket, CAST(SUM(events) AS BIGINT) AS events FROM usage_histograms
            WHERE account_id = ? AND meter = ? AND starts_at >= ? AND starts_at < ?\(clause)
            GROUP BY slot, bucket
            """,
            [.integer(slotMilliseconds), .text(accountId), .text(meter), .integer(from.epochMilliseconds), .integer(to.epochMilliseconds)]
                + scope.arguments(accountId: accountId))
        var distributions: [Int64: UsageDistribution] = [:]
        for row in rows {
            guard let slot = row.int("slot"), let bucket = row.int("bucket"), let events = row.int("events") else { continue }
            distributions[slot, default: UsageDistribution()].add(bucket: bucket, count: events)
        }
        return distributions
    }

    /// The group codes (`meter|…`, ``Meter/groupCode(_:)``) with counters of `period` in
    /// `from ..< to` for the licenses of `scope`, at most `limit`.
    public func groupCodes(
        accountId: String, meter: String, period: LimitPeriod, from: Date, to: Date, scope: Scope, limit: Int
    ) async throws -> [String] {
        let clause = scope.clause
        // Codes hold no `|` and `}` follows it in ASCII: the range is every `meter|…`.
        return try await sql.query(
            """
            SELECT DISTINCT meter FROM usage_counters
            WHERE account_id = ? AND meter > ? AND meter < ? AND period = ? AND starts_at >= ? AND starts_at < ?\(clause)
            ORDER BY meter LIMIT ?
            """,
            [
                .text(accountId), .text(meter + "|"), .text(meter + "}"), .text(period.rawValue), .integer(from.epochMilliseconds),
                .integer(to.epochMilliseconds),
            ] + scope.arguments(accountId: accountId) + [.integer(Int64(limit))]
        ).compactMap { $0.string("meter") }
    }
}
