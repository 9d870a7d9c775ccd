import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Keeps the usage counters (``UsageCounterTable``) and reads a period's usage from them.
///
/// Every aggregation but `unique_count` is counted per hour and per month: a day's usage merges
/// its hours (at most 24 rows) and a year's its months (at most 12), so an event updates two
/// counters whatever periods the limits use, and a policy may change a limit's period without
/// losing what was counted. `unique_count` keeps its distinct values per hour, day, month and
/// year, since distinct counts do not add up across periods.
///
/// `time_weighted_average` keeps hours instead (``GaugeHour``, `usage_gauges`): each hour a batch
/// adds readings to is rewritten from the readings stored for it, so late readings land where
/// they belong; a period's average stitches its hours, carrying the level from the hour before.
///
/// The same transaction keeps the analytics roll-ups: the distribution of a `percentiles`
/// meter's values per license and hour, and the days each license used each meter (feature
/// adoption).
enum UsageCounting {
    /// One counted event: what it adds to its meter.
    struct Counted {
        var event: UsageEvent
        var meter: Meter
        var reading: MeterReading
    }

    struct Key: Hashable {
        var licenseId: String
        var meter: String
        var period: LimitPeriod
        var startsAt: Date
    }

    /// Adds the events to their counters and roll-ups; returns the feature uses it recorded
    /// (those `known` does not hold), to remember once committed.
    @discardableResult
    static func count(
        _ counted: [Counted], accountId: String, known: FeatureUseMemo? = nil, session: StoreSession
    ) async throws -> [UsageAnalyticsTable.FeatureUse] {
        var additions: [Key: (MeterAggregation, UsageTally)] = [:]
        var distinct: [UsageCounterTable.DistinctValue: (MeterAggregation, Int64)] = [:]
        var months: [Int64: Date] = [:]
        var histograms: [UsageAnalyticsTable.HistogramAddition: Int64] = [:]
        var uses = Set<UsageAnalyticsTable.FeatureUse>()
        var gaugeHours = Set<UsagePeriodKey>()
        var gaugeMeters: [String: Meter] = [:]
        for item in counted {
            let time = item.event.timestamp.epochMilliseconds
            let hour = LimitPeriod.hour.window(containing: item.event.timestamp)!.start
            let day = LimitPeriod.day.window(containing: item.event.timestamp)!.start
            let use = UsageAnalyticsTable.FeatureUse(feature: item.meter.code, day: day, licenseId: item.event.licenseId)
            if known?.contains(use, accountId: accountId) != true { uses.insert(use) }
            if item.meter.percentiles {
                let key = UsageAnalyticsTable.HistogramAddition(
                    licenseId: item.event.licenseId, meter: item.meter.code, startsAt: hour, bucket: UsageDistribution.bucket(of: item.reading.value))
                histograms[key, default: 0] += 1
            }
            guard item.meter.aggregation != .timeWeightedAverage else {
                gaugeHours.insert(UsagePeriodKey(licenseId: item.event.licenseId, meter: item.meter.code, start: hour))
                gaugeMeters[item.meter.code] = item.meter
                continue
            }
            let aggregation = item.meter.aggregation
            // The meter's counters, and its group's (groupBy) under the group's code.
            let codes = [item.meter.code] + (item.reading.group.map { [$0] } ?? [])
            if aggregation == .uniqueCount, let value = item.reading.distinct {
                for code in codes {
                    for period in [LimitPeriod.hour, .day, .month, .year] {
                        let key = UsageCounterTable.DistinctValue(
                            licenseId: item.event.licenseId, meter: code, period: period,
                            startsAt: period.window(containing: item.event.timestamp)!.start, value: value)
                        distinct[key] = (aggregation, max(distinct[key]?.1 ?? .min, time))
                    }
                }
                continue
            }
            let month = months[hour.epochMilliseconds] ?? LimitPeriod.month.window(containing: hour)!.start
            months[hour.epochMilliseconds] = month
            for code in codes {
                for (period, start) in [(LimitPeriod.hour, hour), (.month, month)] {
                    let key = Key(licenseId: item.event.licenseId, meter: code, period: period, startsAt: start)
                    additions[key, default: (aggregation, .empty)].1.merge(UsageTally(item.reading, at: time), aggregation)
                }
            }
        }
        if !distinct.isEmpty {
            let new = try await session.usageCounters.insertDistinct(accountId: accountId, Array(distinct.keys))
            for value in new {
                guard let (aggregation, time) = distinct[value] else { continue }
                let key = Key(licenseId: value.licenseId, meter: value.meter, period: value.period, startsAt: value.startsAt)
                additions[key, default: (aggregation, .empty)].1.merge(
                    UsageTally(events: 1, value: UsageQuantity.scale, latestAt: time), aggregation)
            }
        }
        try await session.usageCounters.add(
            additions.sorted { ($0.key.licenseId, $0.key.meter, $0.key.period.rawValue, $0.key.startsAt) < ($1.key.licenseId, $1.key.meter, $1.key.period.rawValue, $1.key.startsAt) }
                .map { key, value in
                    UsageCounterTable.Addition(
                        accountId: accountId, licenseId: key.licenseId, meter: key.meter, period: key.period, startsAt: key.startsAt,
                        aggregation: value.0, tally: value.1)
                })
        try await session.usageAnalytics.addToHistograms(
            accountId: accountId,
            histograms.sorted { ($0.key.licenseId, $0.key.meter, $0.key.startsAt, $0.key.bucket) < ($1.key.licenseId, $1.key.meter, $1.key.startsAt, $1.key.bucket) }
                .map { ($0.key, $0.value) })
        try await rewriteGaugeHours(gaugeHours, meters: gaugeMeters, accountId: accountId, session: session)
        let recorded = uses.sorted()
        try await session.usageAnalytics.recordFeatureUses(accountId: accountId, recorded)
        return recorded
    }

    /// Rewrites each hour of a time-weighted average meter from its stored readings.
    static func rewriteGaugeHours(_ keys: Set<UsagePeriodKey>, meters: [String: Meter], accountId: String, session: StoreSession) async throws {
        var hours: [(licenseId: String, meter: String, hour: GaugeHour)] = []
        let decoder = JSONDecoder()
        for key in keys.sorted() {
            guard let meter = meters[key.meter] else { continue }
            var readings: [(at: Int64, value: Int64)] = []
            for stored in try await session.usageEvents.readings(
                accountId: accountId, licenseId: key.licenseId, meter: key.meter, from: key.start, to: key.start.addingTimeInterval(3_600))
            {
                let properties = (try? decoder.decode([String: JSONValue].self, from: Data(stored.properties.utf8))) ?? [:]
                guard case .success(let reading?) = meter.reading(quantity: UsageQuantity(micros: stored.quantity), properties: properties) else { continue }
                readings.append((stored.at, reading.value))
            }
            if let hour = GaugeHour(startsAt: key.start, readings: readings) { hours.append((key.licenseId, key.meter, hour)) }
        }
        try await session.usageGauges.replace(accountId: accountId, hours)
    }

    /// The license's usage of `meter` in `window`, as of `now` (which only time-weighted averages
    /// depend on: the level counts up to now).
    static func tally(
        of meter: Meter, licenseId: String, window: UsageWindow, at now: Date, accountId: String, session: StoreSession
    ) async throws -> UsageTally {
        if meter.aggregation == .timeWeightedAverage {
            return try await gaugeTallies(of: meter, licenseId: licenseId, windows: [window], at: now, accountId: accountId, session: session)[0]
        }
        return try await tallies(of: meter, licenseId: licenseId, window: window, from: window.start, accountId: accountId, session: session).current
    }

    /// The license's usage of `meter` in `window` and in the period before it, in one query.
    static func tallies(
        of meter: Meter, licenseId: String, window: UsageWindow, at now: Date, accountId: String, session: StoreSession
    ) async throws -> (current: UsageTally, previous: UsageTally) {
        if meter.aggregation == .timeWeightedAverage {
            let both = try await gaugeTallies(
                of: meter, licenseId: licenseId, windows: [window.previous, window], at: now, accountId: accountId, session: session)
            return (both[1], both[0])
        }
        return try await tallies(of: meter, licenseId: licenseId, window: window, from: window.previous.start, accountId: accountId, session: session)
    }

    /// The time-weighted averages of adjacent `windows` (in time order) for one license.
    static func gaugeTallies(
        of meter: Meter, licenseId: String, windows: [UsageWindow], at now: Date, accountId: String, session: StoreSession
    ) async throws -> [UsageTally] {
        guard let first = windows.first, let last = windows.last else { return [] }
        let scope = UsageAnalyticsTable.Scope.license(licenseId)
        let hours = try await session.usageGauges.hours(accountId: accountId, meter: meter.code, from: first.start, to: last.end, scope: scope).map(\.hour)
        var level = try await session.usageGauges.levels(accountId: accountId, meter: meter.code, before: first.start, scope: scope)[licenseId] ?? 0
        return GaugeHour.averages(hours, carry: &level, windows: windows.map { ($0.start, $0.end) }, until: now)
    }

    /// Reads the counters from `from` to the window's end and splits them at the window's start.
    private static func tallies(
        of meter: Meter, licenseId: String, window: UsageWindow, from: Date, accountId: String, session: StoreSession
    ) async throws -> (current: UsageTally, previous: UsageTally) {
        let (period, end): (LimitPeriod, Date) =
            switch (meter.aggregation, window.period) {
            case (.uniqueCount, _), (_, .hour), (_, .month), (_, .none): (window.period, window.start.addingTimeInterval(0.001))
            case (_, .day): (.hour, window.end)
            case (_, .year): (.month, window.end)
            }
        let rows = try await session.usageCounters.tallies(accountId: accountId, licenseId: licenseId, meter: meter.code, period: period, from: from, to: end)
        var current = UsageTally.empty
        var previous = UsageTally.empty
        for row in rows {
            if row.startsAt < window.start { previous.merge(row.tally, meter.aggregation) } else { current.merge(row.tally, meter.aggregation) }
        }
        return (current, previous)
    }

    /// Takes the row lock that serializes a blocking limit's checks for the license's meter in
    /// `window` (PostgreSQL; SQLite has one writer): the month counter that holds the window's start.
    static func lock(meter: Meter, licenseId: String, window: UsageWindow, accountId: String, session: StoreSession) async throws {
        let month = LimitPeriod.month.window(containing: window.start)!.start
        try await session.usageCounters.add([
            UsageCounterTable.Addition(
                accountId: accountId, licenseId: licenseId, meter: meter.code, period: .month, startsAt: month,
                aggregation: meter.aggregation, tally: .empty)
        ])
    }
}
