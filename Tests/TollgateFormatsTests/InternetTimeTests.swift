import Foundation
import Testing
import TollgateFormats

struct InternetTimeTests {
    @Test func agreesWithFoundationOnEveryFormattedTimeAcrossCenturies() {
        var generator = SystemRandomNumberGenerator()
        // Fixed edges (leap days, year ends, the epoch) and random seconds from 1900 to 2400.
        let edges: [TimeInterval] = [0, -1, 951_782_400, 951_868_799, 4_107_542_399, -2_208_988_800, 13_569_465_599]
        for seconds in edges + (0..<2_000).map({ _ in TimeInterval(Int64.random(in: -2_208_988_800...13_569_465_599, using: &generator)) }) {
            let date = Date(timeIntervalSince1970: seconds)
            let text = date.formatted(.iso8601)
            #expect(InternetTime.parse(text) == date, "\(text)")
        }
    }

    @Test func refusesOtherForms() {
        for text in ["2027-01-15T08:00:00", "2027-01-15 08:00:00Z", "2027-13-15T08:00:00Z", "2027-01-15T24:00:00Z", "2027-01-15T08:00:00.000Z", "x"] {
            #expect(InternetTime.parse(text) == nil, "\(text)")
        }
    }
}
