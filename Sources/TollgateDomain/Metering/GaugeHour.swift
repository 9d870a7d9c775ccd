import Foundation
import TollgateFormats

/// One hour of a `time_weighted_average` meter's readings for one license: enough to stitch hours
/// into the average over any span without the readings themselves.
///
/// A reading is a gauge's level (seats in use, bytes stored) from its time until the next
/// reading; before a license's first reading the level is 0. The hour keeps its first and last
/// reading and the area under the level between them (`area`, millionths × milliseconds, exact);
/// what lies before its first reading and after its last depends on the hours around it, and
/// ``GaugeHour/average(_:carry:from:to:)`` adds it. Two readings at the same millisecond: the
/// larger stands, as `latest` decides a tie.
public struct GaugeHour: Sendable, Equatable {
    /// The hour's start.
    public var startsAt: Date
    public var events: Int64
    /// Epoch milliseconds and value (millionths) of the first and the last reading.
    public var firstAt: Int64
    public var firstValue: Int64
    public var lastAt: Int64
    public var lastValue: Int64
    /// ∫ level dt from `firstAt` to `lastAt`, in millionths × milliseconds.
    public var area: Int128

    public init(startsAt: Date, events: Int64, firstAt: Int64, firstValue: Int64, lastAt: Int64, lastValue: Int64, area: Int128) {
        self.startsAt = startsAt
        self.events = events
        self.firstAt = firstAt
        self.firstValue = firstValue
        self.lastAt = lastAt
        self.lastValue = lastValue
        self.area = area
    }

    /// The hour of `readings` (time in epoch milliseconds, value in millionths) that start at
    /// `startsAt`; `nil` without readings.
    public init?(startsAt: Date, readings: [(at: Int64, value: Int64)]) {
        // By time, then value, so that the larger value of a tie comes last and stands.
        let sorted = readings.sorted { ($0.at, $0.value) < ($1.at, $1.value) }
        guard let first = sorted.first, let last = sorted.last else { return nil }
        var levels: [(at: Int64, value: Int64)] = []
        for reading in sorted {
            if levels.last?.at == reading.at { levels[levels.count - 1] = reading } else { levels.append(reading) }
        }
        var area: Int128 = 0
        for (current, next) in zip(levels, levels.dropFirst()) { area += Int128(current.value) * Int128(next.at - current.at) }
        self.init(
            startsAt: startsAt, events: Int64(readings.count), firstAt: first.at, firstValue: levels.first!.value, lastAt: last.at,
            lastValue: levels.last!.value, area: area)
    }

    /// The time-weighted average (millionths, rounded toward zero) over `from ..< to`, of the
    /// hours in it in time order; `carry` is the level at `from` (the last reading before it, 0
    /// without one). The level counts up to `until` (now, for the current period; never past
    /// `to`), and the area is divided by the whole span: the average so far over the period, which
    /// at its end is the period's average.
    public static func average(_ hours: [GaugeHour], carry: Int64, from: Date, to: Date, until: Date) -> UsageTally {
        let (start, end) = (from.epochMilliseconds, to.epochMilliseconds)
        let stop = min(end, max(until.epochMilliseconds, hours.last?.lastAt ?? start))
        guard end > start else { return .empty }
        var (area, level, time, events, latest): (Int128, Int64, Int64, Int64, Int64) = (0, carry, start, 0, Int64.min)
        for hour in hours {
            area += Int128(level) * Int128(max(0, hour.firstAt - time)) + hour.area
            (level, time) = (hour.lastValue, hour.lastAt)
            events += hour.events
            latest = max(latest, hour.lastAt)
        }
        area += Int128(level) * Int128(max(0, stop - time))
        let average = area / Int128(end - start)
        let value = average > Int128(Int64.max) ? Int64.max : average < Int128(Int64.min) ? Int64.min : Int64(average)
        return UsageTally(events: events, value: value, latestAt: latest)
    }

    /// The averages of adjacent windows (in time order) over `hours` (in time order, within the
    /// windows): each window's carry is the last level before it; `carry` ends as the level at
    /// the last window's end.
    public static func averages(_ hours: [GaugeHour], carry: inout Int64, windows: [(start: Date, end: Date)], until: Date) -> [UsageTally] {
        var rest = hours[...]
        return windows.map { window in
            let inside = rest.prefix { $0.startsAt < window.end }
            rest = rest.dropFirst(inside.count)
            let tally = average(Array(inside), carry: carry, from: window.start, to: window.end, until: until)
            if let last = inside.last { carry = last.lastValue }
            return tally
        }
    }
}
