import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// A meter's usage over time, its top licenses and its percentiles, read from the roll-ups that
/// ingestion keeps (``UsageCounting``): a query over millions of events reads at most a row per
/// license and hour, never an event.
///
/// A bucket's value for one license is the meter's aggregation over the bucket (`count` and
/// `sum`: the total; `max`: the largest; `latest`: the last reading; `unique_count`: the distinct
/// values of the bucket; `time_weighted_average`: the level's average over the bucket, up to
/// now). For several licenses (a customer, a product, the account) each
/// license's value is added up: the seats in use across licenses, the distinct users of each.
enum UsageAnalytics {
    /// What a query asks for.
    struct Query {
        var meter: Meter
        /// `hour`, `day` or `month`.
        var bucket: LimitPeriod
        var from: Date
        var to: Date
        var scope: UsageAnalyticsTable.Scope
        /// How many top licenses to answer (0: none).
        var top: Int
        /// Time-weighted averages count the level up to now.
        var now: Date
    }

    /// One bucket of the series.
    struct Bucket {
        var start: Date
        var end: Date
        var events: Int64 = 0
        var value: Int64 = 0
        /// p50, p95, p99 of the meter's values (``Meter/percentiles``); `nil` without events.
        var percentiles: (p50: Int64, p95: Int64, p99: Int64)?
    }

    struct TopLicense {
        var licenseId: String
        var events: Int64
        var value: Int64
    }

    /// At most this many buckets per query.
    static let maximumBuckets = 1_000

    /// The buckets from the one that holds `from` to the one that holds the instant before `to`.
    static func buckets(_ bucket: LimitPeriod, from: Date, to: Date) throws(TollgateError) -> [Bucket] {
        guard var window = bucket.window(containing: from) else { return [] }
        var buckets: [Bucket] = []
        while window.start < to {
            guard buckets.count < maximumBuckets else {
                throw .malformed(
                    code: RequestCode.invalidParameter,
                    message: "A query spans at most \(maximumBuckets) buckets: narrow 'from' and 'to' or use a larger 'bucket'.", field: "from")
            }
            buckets.append(Bucket(start: window.start, end: window.end))
            window = bucket.window(containing: window.end)!
        }
        return buckets
    }

    /// The counters a bucket is made of: its own period for distinct counts (which do not add up),
    /// else hours for a day (months for a month, hours for an hour).
    static func counterPeriod(of meter: Meter, bucket: LimitPeriod) -> LimitPeriod {
        meter.aggregation == .uniqueCount || bucket != .day ? bucket : .hour
    }

    /// The series, the top licenses and, for a meter that keeps them, the percentiles.
    static func run(_ query: Query, accountId: String, session: StoreSession) async throws -> (series: [Bucket], top: [TopLicense]) {
        var series = try buckets(query.bucket, from: query.from, to: query.to)
        guard let first = series.first, let last = series.last else { return ([], []) }
        let (from, to) = (first.start, last.end)
        var index: [Date: Int] = [:]
        for (position, bucket) in series.enumerated() { index[bucket.start] = position }
        let meter = query.meter
        let analytics = session.usageAnalytics
        let period = counterPeriod(of: meter, bucket: query.bucket)
        var gaugeTop: [TopLicense]?
        switch meter.aggregation {
        case .count, .sum:
            let slot: Int64 = query.bucket == .month ? 1 : query.bucket == .day ? 86_400_000 : 3_600_000
            for row in try await analytics.sums(
                accountId: accountId, meter: meter.code, period: period, from: from, to: to, scope: query.scope, slotMilliseconds: slot)
            {
                guard let position = index[Date(epochMilliseconds: row.slot * slot)] else { continue }
                series[position].events += row.events
                series[position].value = series[position].value.addingClamped(row.value)
            }
        case .max, .latest, .uniqueCount:
            var perLicense: [String: [Int: UsageTally]] = [:]
            for row in try await analytics.counters(accountId: accountId, meter: meter.code, period: period, from: from, to: to, scope: query.scope) {
                guard let position = index[query.bucket.window(containing: row.startsAt)!.start] else { continue }
                perLicense[row.licenseId, default: [:]][position, default: .empty].merge(row.tally, meter.aggregation)
            }
            for tallies in perLicense.values {
                for (position, tally) in tallies {
                    series[position].events += tally.events
                    series[position].value = series[position].value.addingClamped(tally.value)
                }
            }
        case .timeWeightedAverage:
            (series, gaugeTop) = try await gauges(query, series: series, accountId: accountId, session: session)
        }
        if meter.percentiles {
            let slot: Int64 = query.bucket == .hour ? 3_600_000 : 86_400_000
            var merged: [Int: UsageDistribution] = [:]
            for (slotIndex, distribution) in try await analytics.distributions(
                accountId: accountId, meter: meter.code, from: from, to: to, scope: query.scope, slotMilliseconds: slot)
            {
                let start = query.bucket.window(containing: Date(epochMilliseconds: slotIndex * slot))!.start
                guard let position = index[start] else { continue }
                merged[position, default: UsageDistribution()].merge(distribution)
            }
            for (position, distribution) in merged {
                guard let p50 = distribution.percentile(50), let p95 = distribution.percentile(95), let p99 = distribution.percentile(99) else { continue }
                series[position].percentiles = (p50, p95, p99)
            }
        }
        if let gaugeTop { return (series, gaugeTop) }
        return (series, try await top(query, from: from, to: to, accountId: accountId, session: session))
    }

    /// At most this many groups per query.
    static let maximumGroups = 100

    /// The series of each group of the meter's `groupBy` properties seen in the query's span:
    /// the group's values and its series, read from the group's own counters.
    static func groups(_ query: Query, accountId: String, session: StoreSession) async throws -> [(group: [String: String], series: [Bucket])] {
        guard let first = try buckets(query.bucket, from: query.from, to: query.to).first else { return [] }
        let meter = query.meter
        let period = counterPeriod(of: meter, bucket: query.bucket)
        let codes = try await session.usageAnalytics.groupCodes(
            accountId: accountId, meter: meter.code, period: period, from: first.start, to: query.to, scope: query.scope, limit: maximumGroups)
        var groups: [(group: [String: String], series: [Bucket])] = []
        for code in codes {
            var grouped = query
            grouped.meter.code = code
            grouped.meter.percentiles = false
            grouped.top = 0
            groups.append((Meter.group(ofCode: code), try await run(grouped, accountId: accountId, session: session).series))
        }
        return groups
    }

    /// A time-weighted average meter's series and top licenses: each license's hours stitched per
    /// bucket, carrying its level from the bucket before (and from before the query); a bucket's
    /// value adds up the licenses' averages; top licenses rank by their average over the span.
    static func gauges(_ query: Query, series: [Bucket], accountId: String, session: StoreSession) async throws -> (series: [Bucket], top: [TopLicense]) {
        var series = series
        let (from, to) = (series.first!.start, series.last!.end)
        let rows = try await session.usageGauges.hours(accountId: accountId, meter: query.meter.code, from: from, to: to, scope: query.scope)
        let levels = try await session.usageGauges.levels(accountId: accountId, meter: query.meter.code, before: from, scope: query.scope)
        var hours: [String: [GaugeHour]] = [:]
        for row in rows { hours[row.licenseId, default: []].append(row.hour) }
        var top: [TopLicense] = []
        for license in Set(hours.keys).union(levels.keys) {
            let own = hours[license] ?? []
            var carry = levels[license] ?? 0
            let tallies = GaugeHour.averages(own, carry: &carry, windows: series.map { ($0.start, $0.end) }, until: query.now)
            for (position, tally) in tallies.enumerated() {
                series[position].events += tally.events
                series[position].value = series[position].value.addingClamped(tally.value)
            }
            let whole = GaugeHour.average(own, carry: levels[license] ?? 0, from: from, to: to, until: query.now)
            top.append(TopLicense(licenseId: license, events: whole.events, value: whole.value))
        }
        top.sort { ($0.value, $1.licenseId) > ($1.value, $0.licenseId) }
        return (series, Array(top.prefix(query.top)))
    }

    /// The licenses with the most usage over the whole query: read from month counters when the
    /// query spans whole months, else from the bucket's (distinct counts) or hourly counters.
    static func top(_ query: Query, from: Date, to: Date, accountId: String, session: StoreSession) async throws -> [TopLicense] {
        guard query.top > 0 else { return [] }
        let meter = query.meter
        let wholeMonths = LimitPeriod.month.window(containing: from)!.start == from && LimitPeriod.month.window(containing: to)!.start == to
        let period: LimitPeriod = wholeMonths ? .month : meter.aggregation == .uniqueCount ? query.bucket : .hour
        if meter.aggregation == .latest {
            var latest: [String: UsageTally] = [:]
            for row in try await session.usageAnalytics.counters(
                accountId: accountId, meter: meter.code, period: period, from: from, to: to, scope: query.scope)
            {
                latest[row.licenseId, default: .empty].merge(row.tally, .latest)
            }
            return latest.sorted { ($0.value.value, $1.key) > ($1.value.value, $0.key) }.prefix(query.top)
                .map { TopLicense(licenseId: $0.key, events: $0.value.events, value: $0.value.value) }
        }
        return try await session.usageAnalytics.top(
            accountId: accountId, meter: meter.code, period: period, largest: meter.aggregation == .max, from: from, to: to, scope: query.scope,
            limit: query.top
        ).map { TopLicense(licenseId: $0.licenseId, events: $0.events, value: $0.value) }
    }
}
