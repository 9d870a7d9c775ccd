import Foundation
import Testing
import TollgateFormats

@Suite struct EncodingTests {
    @Test func crockfordBase32RoundTripsEveryLength() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(CrockfordBase32.decode(CrockfordBase32.encode(bytes)) == bytes)
        }
    }

    @Test func crockfordReadsAmbiguousLettersAsDigits() {
        #expect(CrockfordBase32.decode("O1IL") == CrockfordBase32.decode("0111"))
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func identifiersRoundTripThroughBytesAndSortByTime() {
        let early = Identifier.make(.license, at: Date(timeIntervalSince1970: 1_000))
        let late = Identifier.make(.license, at: Date(timeIntervalSince1970: 2_000))
        #expect(early < late)
        let bytes = Identifier.bytes(of: early, kind: .license)!
        #expect(Identifier.string(kind: .license, bytes: bytes) == early)
        #expect(Identifier.bytes(of: early, kind: .product) == nil)
        #expect(!Identifier.isValid("lic_short", kind: .license))
    }

    @Test func batchIdentifiersAreDistinctOrderedAndCarryTheirTimes() {
        let dates = [Date(timeIntervalSince1970: 5_000), Date(timeIntervalSince1970: 5_000), Date(timeIntervalSince1970: 6_000)]
        let ids = Identifier.make(.validation, at: dates)
        #expect(ids.count == 3 && Set(ids).count == 3 && ids == ids.sorted())
        #expect(ids[2].dropFirst(4).prefix(10) == Identifier.make(.validation, at: dates[2]).dropFirst(4).prefix(10))
    }

    @Test func mergePatchRemovesNullsAndMergesObjects() {
        let base = JSONValue.object(["a": .integer(1), "b": .object(["c": .integer(2), "d": .integer(3)])])
        let patch = JSONValue.object(["a": .null, "b": .object(["c": .integer(9)])])
        #expect(base.merging(patch: patch) == .object(["b": .object(["c": .integer(9), "d": .integer(3)])]))
    }
}
