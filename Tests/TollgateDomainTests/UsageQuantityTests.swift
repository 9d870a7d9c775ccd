import Foundation
import Testing
import TollgateDomain
import TollgateFormats

/// Usage quantities are exact decimals in millionths.
@Suite struct UsageQuantityTests {
    @Test(arguments: [
        ("2.5", 2_500_000), ("-3", -3_000_000), ("1.50", 1_500_000), ("0.000001", 1), ("1e3", 1_000_000_000), ("1E-6", 1),
        ("2.5e-1", 250_000), ("1000000000000", 1_000_000_000_000_000_000), ("0", 0), ("007", 7_000_000), ("1.0000000", 1_000_000),
    ] as [(String, Int64)])
    func decimalsAreReadExactly(text: String, micros: Int64) {
        #expect(UsageQuantity(decimal: text)?.micros == micros)
    }

    @Test(arguments: ["", "-", ".5", "5.", "1.2.3", "0.0000001", "1e13", "1000000000001", "1e", "1e+", "abc", "1,5", " 1", "1e9999", "--1", "0x10"])
    func otherTextIsRefused(text: String) {
        #expect(UsageQuantity(decimal: text) == nil)
    }

    @Test func jsonNumbersKeepTheTextTheSenderWrote() {
        #expect(UsageQuantity(.number(0.1))?.micros == 100_000)
        #expect(UsageQuantity(.number(1e-5))?.micros == 10)
        #expect(UsageQuantity(.integer(12))?.micros == 12_000_000)
        #expect(UsageQuantity(.integer(1_000_000_000_001)) == nil)
        #expect(UsageQuantity(.bool(true)) == nil && UsageQuantity(.number(.infinity)) == nil)
        // Ten tenths are one, exactly.
        #expect((0..<10).reduce(Int64(0)) { total, _ in total + UsageQuantity(.number(0.1))!.micros } == 1_000_000)
    }

    @Test func theTextHasNoTrailingZeros() {
        #expect(UsageQuantity(micros: 2_500_000).description == "2.5")
        #expect(UsageQuantity(micros: -1).description == "-0.000001")
        #expect(UsageQuantity(micros: 3_000_000).description == "3")
        #expect(UsageQuantity(micros: 0).description == "0")
    }
}

/// An event's properties are stored and hashed in one canonical form.
@Suite struct UsagePropertiesTests {
    @Test func propertiesAreWrittenWithSortedKeysAndJSONEscapes() throws {
        let event: JSONValue = .object([
            "id": .string("e-1"), "meter": .string("gpu-hours"),
            "properties": .object(["b": .integer(1), "a": .string("x\"y\\\n\u{1}é"), "c": .bool(true), "d": .number(0.5), "B": .bool(false)]),
        ])
        let input = try UsageEventInput.read(event).get()
        #expect(input.properties == #"{"B":false,"a":"x\"y\\\n\u0001é","b":1,"c":true,"d":0.5}"#)
        // It is JSON, and reads back as what was sent.
        let back = try JSONDecoder().decode(JSONValue.self, from: Data(input.properties.utf8))
        if case .object(let sent)? = { if case .object(let members) = event { return members["properties"] }; return nil }() {
            #expect(back == .object(sent))
        }
    }
}
