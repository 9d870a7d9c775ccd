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
        case .hour:
            let millis = date.epochMilliseconds
            let hour = millis - ((millis % 3_600_000) + 3_600_000) % 3_600_000
            start = Date(epochMilliseconds: hour)
            end = Date(epochMilliseconds: hour + 3_600_000)
            return UsageWindow(period: self, start: start, end: end)
        case .day:
            start = calendar.startOfDay(for: date)
            end = calendar.date(byAdding: .day, value: 1, to: start)!
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
