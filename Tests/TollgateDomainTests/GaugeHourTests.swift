import Foundation
import Testing
import TollgateFormats
@testable import TollgateDomain

/// Time-weighted averages computed by hand: a level holds until the next reading, a tie of times
/// keeps the larger, the level before a window carries into it, and the current period counts the
/// level up to now.
@Suite struct GaugeHourTests {
    func date(_ text: String) -> Date { InternetTime.parse("2027-01-15T\(text)Z")! }
    func at(_ text: String) -> Int64 { date(text).epochMilliseconds }
    let unit = UsageQuantity.scale

    @Test func anHourKeepsItsFirstAndLastReadingAndTheAreaBetween() throws {
        // Sent out of order, with a tie at 10:30 whose larger value stands.
        let hour = try #require(GaugeHour(
            startsAt: date("10:00:00"), readings: [(at("10:30:00"), 20 * unit), (at("10:00:00"), 10 * unit), (at("10:30:00"), 5 * unit)]))
        #expect(hour.events == 3 && hour.firstValue == 10 * unit && hour.lastValue == 20 * unit)
        #expect(hour.area == Int128(10 * unit) * Int128(1_800_000))
        #expect(GaugeHour(startsAt: date("10:00:00"), readings: []) == nil)
    }

    @Test func averagesStitchHoursAndCarryTheLevel() throws {
        let hour = try #require(GaugeHour(startsAt: date("10:00:00"), readings: [(at("10:00:00"), 10 * unit), (at("10:30:00"), 20 * unit)]))
        let later = date("23:00:00").addingTimeInterval(86_400)
        // The hour itself: 10 for half an hour, 20 for the other half → 15.
        #expect(GaugeHour.average([hour], carry: 0, from: date("10:00:00"), to: date("11:00:00"), until: later).value == 15 * unit)
        // An hour without readings after it: the level 20 carries through.
        #expect(GaugeHour.average([], carry: 20 * unit, from: date("11:00:00"), to: date("12:00:00"), until: later).value == 20 * unit)
        // The whole day, level 0 before 10:00: (10 × 0.5 + 20 × 13.5) / 24 = 275 / 24 = 11.458333…
        let day = GaugeHour.average([hour], carry: 0, from: date("00:00:00"), to: date("00:00:00").addingTimeInterval(86_400), until: later)
        #expect(day.value == 11_458_333 && day.events == 2)
        // The current day at noon: the level counts up to now, over the whole day: (5 + 30) / 24.
        let sofar = GaugeHour.average([hour], carry: 0, from: date("00:00:00"), to: date("00:00:00").addingTimeInterval(86_400), until: date("12:00:00"))
        #expect(sofar.value == 1_458_333)
        // A carried level of 4 before the day: (4 × 10 + 10 × 0.5 + 20 × 13.5) / 24 = 315 / 24.
        #expect(GaugeHour.average([hour], carry: 4 * unit, from: date("00:00:00"), to: date("00:00:00").addingTimeInterval(86_400), until: later).value == 13_125_000)
        // Adjacent windows carry the level from one to the next.
        var carry: Int64 = 4 * unit
        let hours = GaugeHour.averages(
            [hour], carry: &carry, windows: [(date("09:00:00"), date("10:00:00")), (date("10:00:00"), date("11:00:00")), (date("11:00:00"), date("12:00:00"))],
            until: later)
        #expect(hours.map(\.value) == [4 * unit, 15 * unit, 20 * unit] && carry == 20 * unit)
    }
}
