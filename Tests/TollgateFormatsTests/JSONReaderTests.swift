import Foundation
import Testing
@testable import TollgateFormats

struct JSONReaderTests {
    static func random(depth: Int, using generator: inout some RandomNumberGenerator) -> JSONValue {
        let strings = ["", "plain", "é ü 東京", "quote \" backslash \\ slash /", "tab\tnew\nline", "😀 emoji", "\u{1}control"]
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator))
        case 3: return .number(Double(Int.random(in: -100_000...100_000, using: &generator)) / 8 + 0.5)
        case 4: return .string(strings.randomElement(using: &generator)!)
        case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in random(depth: depth + 1, using: &generator) })
        default:
            return .object(Dictionary((0..<Int.random(in: 0...4, using: &generator)).map { index in
                ("\(strings.randomElement(using: &generator)!)\(index)", random(depth: depth + 1, using: &generator))
            }, uniquingKeysWith: { first, _ in first }))
        }
    }

    @Test func readsWhatJSONEncoderWritesAsJSONDecoderDoes() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let value = Self.random(depth: 0, using: &generator)
            let data = try JSONEncoder().encode(value)
            #expect(JSONReader.read(data) == (try JSONDecoder().decode(JSONValue.self, from: data)), "\(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test func decodesEscapesAndSurrogatePairs() {
        #expect(JSONReader.read(Data(#" {"a" : ["\u00e9\ud83d\ude00\n\/", 1.5e2, -0, true, null] } "#.utf8))
            == .object(["a": .array([.string("é😀\n/"), .number(150), .integer(0), .bool(true), .null])]))
    }

    @Test func refusesWhatIsNotOneJSONValue() {
        let nested = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        for text in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"a\u{1}\"", "tru", "{} x", "\"\\ud83d\"", "{1:2}", nested] {
            #expect(JSONReader.read(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(JSONReader.read([0x22, 0xFF, 0x22]) == nil)  // not UTF-8
    }

    @Test func licenseFileContentReadsAsJSONDecoderDecodesIt() throws {
        var generator = SystemRandomNumberGenerator()
        for index in 0..<300 {
            let limits = EffectiveLimits(
                values: ["maxMachines": Bool.random(using: &generator) ? .limited(5) : .unlimited, "requestsPerSecond": .limited(index)],
                periods: Bool.random(using: &generator) ? ["requestsPerSecond": .day] : [:])
            let machine: LicenseFileContent.MachineInfo? =
                Bool.random(using: &generator)
                ? .init(id: "mch_\(index)", fingerprint: "fp \"\(index)\" é", name: Bool.random(using: &generator) ? "name\n😀" : nil, cluster: nil) : nil
            let content = LicenseFileContent(
                license: .init(
                    id: "lic_\(index)", accountId: "acc", productId: "prd", policyId: "pol", customerId: "cus", status: "active", tier: "Tier \\ \(index)",
                    entitlements: (0..<index % 4).map { "feature-\($0)" }, limits: limits,
                    expiresAt: Bool.random(using: &generator) ? Date(timeIntervalSince1970: Double(1_800_000_000 + index * 7_919)) : nil,
                    offlineGraceDays: index % 60),
                machine: machine, issuedAt: Date(timeIntervalSince1970: Double(1_700_000_000 + index * 86_413)), ttlSeconds: 3_600 + index,
                requestNonce: index % 3 == 0 ? "nonce-\(index)" : nil)
            let data = try LicenseFile.encoder.encode(content)
            let fast = try #require(data.withUnsafeBytes { LicenseFileContent(json: $0.bindMemory(to: UInt8.self)) })
            #expect(fast == (try LicenseFile.decoder.decode(LicenseFileContent.self, from: data)))
        }
    }
}
