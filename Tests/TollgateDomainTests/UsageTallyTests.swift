import Foundation
import Testing
import TollgateFormats
@testable import TollgateDomain

/// Calendar windows in UTC, tallies that merge the way the counters' SQL does, and what a
/// blocking limit refuses.
@Suite struct UsageTallyTests {
    func date(_ text: String) -> Date { InternetTime.parse(text)! }

    @Test func windowsAreUTCCalendarPeriods() {
        let leap = date("2028-02-29T23:59:59Z")
        #expect(LimitPeriod.hour.window(containing: leap) == UsageWindow(period: .hour, start: date("2028-02-29T23:00:00Z"), end: date("2028-03-01T00:00:00Z")))
        #expect(LimitPeriod.day.window(containing: leap)?.end == date("2028-03-01T00:00:00Z"))
        #expect(LimitPeriod.month.window(containing: leap) == UsageWindow(period: .month, start: date("2028-02-01T00:00:00Z"), end: date("2028-03-01T00:00:00Z")))
        #expect(LimitPeriod.year.window(containing: leap)?.start == date("2028-01-01T00:00:00Z"))
        #expect(LimitPeriod.none.window(containing: leap) == nil)
        // The last full period, across a year's end; an hour before 1970 rounds down.
        #expect(LimitPeriod.month.window(containing: date("2027-01-15T08:00:00Z"))?.previous.start == date("2026-12-01T00:00:00Z"))
        #expect(LimitPeriod.hour.window(containing: Date(timeIntervalSince1970: -1))?.start == Date(timeIntervalSince1970: -3600))
    }

    @Test func talliesMergeAsEachAggregationSays() {
        func tally(_ values: [(Int64, Int64)], _ aggregation: MeterAggregation) -> UsageTally {
            values.reduce(UsageTally.empty) { $0.merging(UsageTally(MeterReading(value: $1.0, distinct: nil), at: $1.1), aggregation) }
        }
        let readings: [(Int64, Int64)] = [(-5, 30), (-2, 10), (-9, 30)]
        #expect(tally(readings, .sum) == UsageTally(events: 3, value: -16, latestAt: 30))
        // The largest of negative values is not the empty tally's 0.
        #expect(tally(readings, .max).value == -2)
        // The latest reading; on a tie of times the larger value, whatever the order.
        #expect(tally(readings, .latest).value == -5 && tally(readings.reversed(), .latest).value == -5)
        // Merging an empty tally (a counter row taken as a lock) changes nothing.
        #expect(tally(readings, .max).merging(.empty, .max) == tally(readings, .max))
        // A total beyond Int64 holds at the bound.
        #expect(tally([(Int64.max - 1, 1), (5, 2)], .sum).value == Int64.max)
    }

    @Test func aBlockingLimitRefusesOnlyWhatRaisesUsagePastIt() {
        let window = LimitPeriod.month.window(containing: date("2027-01-15T08:00:00Z"))!
        var quota = UsageQuota(
            meter: "executions", aggregation: .sum, window: window, limit: .limited(3), enforcement: .block,
            tally: UsageTally(events: 2, value: 2_500_000, latestAt: 0))
        let half = UsageTally(events: 1, value: 500_000, latestAt: 1)
        #expect(!quota.refuses(half) && quota.refuses(UsageTally(events: 1, value: 600_000, latestAt: 1)))
        #expect(quota.remaining == 500_000 && quota.overage == 0 && quota.thresholdsReached == [80])
        // Past the limit (it was lowered): a correction still fits.
        quota.tally.value = 4_000_000
        #expect(!quota.refuses(UsageTally(events: 1, value: -1_000_000, latestAt: 1)) && quota.overage == 1_000_000)
        #expect(quota.thresholdsReached == [80, 100] && quota.remaining == 0)
        quota.enforcement = .allowOverage
        #expect(!quota.refuses(half))
        quota.limit = .unlimited
        #expect(quota.remaining == nil && quota.thresholdsReached.isEmpty)
    }

    @Test func readingsFollowTheMetersFiltersAndProperty() throws {
        let now = date("2027-01-15T08:00:00Z")
        let bytes = try MeterDraft(code: "eu-bytes", name: "EU bytes", aggregation: .sum, property: "bytes", filters: ["region": ["eu"]])
            .validated(id: "mtr_1", accountId: "acc_1", now: now)
        let one = UsageQuantity(micros: 1_000_000)
        #expect(try bytes.reading(quantity: one, properties: ["region": .string("eu"), "bytes": .string("2.5")]).get() == MeterReading(value: 2_500_000, distinct: nil))
        #expect(try bytes.reading(quantity: one, properties: ["region": .string("us"), "bytes": .integer(2)]).get() == nil)
        #expect(throws: UsageEventRefusal.self) { try bytes.reading(quantity: one, properties: ["region": .string("eu"), "bytes": .bool(true)]).get() }
        let users = try MeterDraft(code: "users", name: "Users", aggregation: .uniqueCount, property: "user").validated(id: "mtr_2", accountId: "acc_1", now: now)
        #expect(try users.reading(quantity: one, properties: ["user": .integer(42)]).get()?.distinct == "42")
    }
}
