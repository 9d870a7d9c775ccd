import Foundation
import TollgateFormats

/// A license's usage of one meter against the limit of the same code, for one period.
public struct UsageQuota: Sendable, Equatable {
    public var meter: String
    public var aggregation: MeterAggregation
    public var window: UsageWindow
    public var limit: LimitValue
    public var enforcement: LimitEnforcement
    /// The period's usage so far.
    public var tally: UsageTally

    public init(meter: String, aggregation: MeterAggregation, window: UsageWindow, limit: LimitValue, enforcement: LimitEnforcement, tally: UsageTally) {
        self.meter = meter
        self.aggregation = aggregation
        self.window = window
        self.limit = limit
        self.enforcement = enforcement
        self.tally = tally
    }

    /// The limit in millionths; `nil` when unlimited (or beyond what millionths hold).
    public var limitMicros: Int64? {
        guard let maximum = limit.maximum else { return nil }
        let (micros, overflow) = Int64(maximum).multipliedReportingOverflow(by: UsageQuantity.scale)
        return overflow ? nil : micros
    }

    /// The aggregated usage in millionths.
    public var used: Int64 { tally.events > 0 ? tally.value : 0 }

    /// What is left before the limit (0 at or past it); `nil` when unlimited.
    public var remaining: Int64? { limitMicros.map { Swift.max(0, $0 - used) } }

    /// Usage past the limit (billed later when the limit allows overage).
    public var overage: Int64 { limitMicros.map { Swift.max(0, used - $0) } ?? 0 }

    /// Whether `addition` keeps usage within the limit: it does not take usage past it, or it
    /// does not raise usage (a correction, or a reading that changes nothing).
    public func fits(_ addition: UsageTally) -> Bool {
        guard let limitMicros else { return true }
        let after = tally.merging(addition, aggregation)
        return after.value <= limitMicros || (tally.events > 0 && after.value <= tally.value)
    }

    /// What `micros` more would add at `now`: that much, or for a time-weighted average a level of
    /// `micros` from now to the period's end, as a share of the whole period.
    public func addition(of micros: Int64, at now: Date) -> UsageTally {
        guard aggregation == .timeWeightedAverage else { return UsageTally(events: 1, value: micros, latestAt: now.epochMilliseconds) }
        let (start, end) = (window.start.epochMilliseconds, window.end.epochMilliseconds)
        let remaining = Int128(max(0, end - max(start, now.epochMilliseconds)))
        let share = Int128(micros) * remaining / Int128(max(1, end - start))
        return UsageTally(events: 1, value: Int64(clamping: share), latestAt: now.epochMilliseconds)
    }

    /// Whether a blocking limit refuses `addition` (it does not fit).
    public func refuses(_ addition: UsageTally) -> Bool { enforcement == .block && !fits(addition) }

    /// The percentages of the limit (of 80 and 100) the usage has reached.
    public var thresholdsReached: [Int] {
        guard let limitMicros, used > 0 else { return [] }
        return Self.thresholds.filter { threshold in
            let (scaled, overflow) = used.multipliedReportingOverflow(by: 100)
            // Limits hold at most 10^9 units, so the limit's side cannot overflow.
            return overflow || scaled >= limitMicros * Int64(threshold)
        }
    }

    /// The thresholds whose crossing is an event, in percent of the limit.
    public static let thresholds = [80, 100]
}
