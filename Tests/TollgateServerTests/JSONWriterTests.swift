import Foundation
import Testing
import TollgateDomain
@testable import TollgateServer

@Suite struct JSONWriterTests {
    @Test func datesMatchFoundationsISO8601Formatter() {
        let formatter = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        let samples = [0, 951_782_400, 1_709_164_800, 4_102_444_799, -86_400, 253_402_300_799]
            + (0..<2_000).map { _ in Int64.random(in: -2_000_000_000...6_000_000_000, using: &generator) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(JSONWriter.iso8601(date) == formatter.string(from: date), "\(seconds)")
        }
    }

    @Test func stringsAreEscapedSoThatAParserReadsThemBack() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t bell \u{07} unicode é 🎟"
        var json = JSONWriter()
        json.object { json in
            json.key("s"); json.string(nasty)
            json.key("n"); json.int(nil)
            json.key("a"); json.array([1, 2]) { json, value in json.int(value) }
            json.key("b"); json.bool(false)
        }
        let parsed = try JSONSerialization.jsonObject(with: Data(json.bytes)) as! [String: Any]
        #expect(parsed["s"] as? String == nasty)
        #expect(parsed["n"] is NSNull && parsed["a"] as? [Int] == [1, 2] && parsed["b"] as? Bool == false)
    }
}
