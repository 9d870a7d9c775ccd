import Foundation
import TollgateFormats

/// One calendar period of a limit, in UTC: usage counts against the limit from `start` up to
/// (not including) `end`, when the limit resets.
public struct UsageWindow: Sendable, Hashable {
    public var period: LimitPeriod
    public var start: Date
    public var end: Date

    /// The window just before this one (the last full period).
    public var previous: UsageWindow { period.window(containing: start.addingTimeInterval(-0.001))! }
}

extension LimitPeriod {
    /// The calendar UTC period of this kind that holds `date`; `nil` for `none`, which never resets.
    public func window(containing date: Date) -> UsageWindow? {
        let calendar = UsageWindow.calendar
        let start: Date
        let end: Date
        switch self {
        case .none: return nil
        case .hour, .day:
            // Fixed lengths in UTC: integer arithmetic, not the calendar (ingestion asks per event).
            let length: Int64 = self == .hour ? 3_600_000 : 86_400_000
            let millis = date.epochMilliseconds
            let begin = millis - ((millis % length) + length) % length
            return UsageWindow(period: self, start: Date(epochMilliseconds: begin), end: Date(epochMilliseconds: begin + length))
        case .month:
            start = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
            end = calendar.date(byAdding: .month, value: 1, to: start)!
        case .year:
            start = calendar.date(from: calendar.dateComponents([.year], from: date))!
            end = calendar.date(byAdding: .year, value: 1, to: start)!
        }
        return UsageWindow(period: self, start: start, end: end)
    }
}

extension UsageWindow {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
