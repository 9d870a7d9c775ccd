import Foundation
import Testing
@testable import TollgateFormats

@Suite struct CanonicalBase64Tests {
    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// For every length of 1 to 8 bytes: the encoding decodes, and each other spelling of its
    /// last symbol that Foundation decodes to the same bytes is refused.
    @Test func onlyTheOneSpellingOfTheBytesDecodes() {
        for count in 0...8 {
            let bytes = Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
            let text = bytes.base64EncodedString()
            #expect(CanonicalBase64.decode(text) == bytes)
            let url = Base64URL.encode(bytes)
            #expect(CanonicalBase64.decodeURL(url) == bytes)
            guard let lastSymbol = text.lastIndex(where: { $0 != "=" }) else { continue }
            var lenient = 0
            for symbol in Self.standard where symbol != text[lastSymbol] {
                var respelled = text
                respelled.replaceSubrange(lastSymbol...lastSymbol, with: String(symbol))
                guard Data(base64Encoded: respelled) == bytes else { continue }
                lenient += 1
                #expect(CanonicalBase64.decode(respelled) == nil, "\(respelled) decodes to the bytes of \(text)")
                let respelledURL = respelled.replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                #expect(CanonicalBase64.decodeURL(respelledURL) == nil)
            }
            // Foundation takes 3 other spellings when 2 bits are spare and 15 when 4 are.
            #expect(lenient == [0: 0, 1: 15, 2: 3][count % 3]!)
        }
    }

    @Test func paddingAndAlphabetAreExact() {
        #expect(CanonicalBase64.decode("AQI=") == Data([1, 2]))
        #expect(Data(base64Encoded: "AQJ=") == Data([1, 2]) && CanonicalBase64.decode("AQJ=") == nil)
        for text in ["AQI", "AQI==", "A=QI", "AQ I=", "AQI=\n", "AQ-_", "====", "A==="] {
            #expect(CanonicalBase64.decode(text) == nil, "\(text)")
        }
        #expect(CanonicalBase64.decodeURL("AQI") == Data([1, 2]))
        for text in ["AQI=", "A", "AQ+/", "AQ I"] {
            #expect(CanonicalBase64.decodeURL(text) == nil, "\(text)")
        }
    }
}
