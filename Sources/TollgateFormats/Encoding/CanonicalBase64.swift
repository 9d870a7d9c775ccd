import Foundation

/// Base64 decoding that accepts only the one text each byte string encodes to (RFC 4648 §3.5):
/// the standard alphabet, padding exactly where it belongs, and zero in the unused low bits of
/// the last character. Foundation's decoder ignores those bits, so `…Ag==` and `…Ah==` decode
/// to the same bytes; a signature checked after such a decoder accepts a text with a changed
/// character. Every base64 that Tollgate signs or verifies goes through here instead.
///
/// ```swift
/// CanonicalBase64.decode("AQI=")   // [1, 2]
/// CanonicalBase64.decode("AQJ=")   // nil: the same bytes, but the spare bits of "J" are not zero
/// ```
///
/// Foundation still decodes, and refuses characters outside the alphabet and misplaced padding
/// (`CanonicalBase64Tests` holds it to that); what is added is a look at the last characters
/// only, so the check costs nothing measurable on the offline verification path.
public enum CanonicalBase64 {
    /// The 6-bit value of each ASCII byte of the standard alphabet, -1 for any other byte.
    static let standard: [Int8] = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    /// The same for the URL-safe alphabet (`-` and `_` for `+` and `/`).
    static let url: [Int8] = table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    private static func table(_ alphabet: String) -> [Int8] {
        var table = [Int8](repeating: -1, count: 256)
        for (value, byte) in alphabet.utf8.enumerated() { table[Int(byte)] = Int8(value) }
        return table
    }

    /// Padded standard base64 (what `Data.base64EncodedString()` writes); `nil` for any other text.
    public static func decode(_ text: String) -> Data? {
        guard hasCanonicalEnd(text.utf8) else { return nil }
        return Data(base64Encoded: text)
    }

    /// ``decode(_:)`` of ASCII bytes.
    public static func decode(bytes: [UInt8]) -> Data? {
        guard hasCanonicalEnd(bytes) else { return nil }
        return Data(base64Encoded: Data(bytes))
    }

    /// Unpadded base64url (RFC 4648 §5, as JWTs and JWKS use it); `nil` for any other text,
    /// padded text included.
    public static func decodeURL(_ text: some StringProtocol) -> Data? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 3)
        for byte in text.utf8 {
            guard url[Int(byte)] >= 0 else { return nil }
            bytes.append(byte == UInt8(ascii: "-") ? UInt8(ascii: "+") : byte == UInt8(ascii: "_") ? UInt8(ascii: "/") : byte)
        }
        let symbols = bytes.count % 4
        guard symbols != 1 else { return nil }
        if symbols != 0, let last = bytes.last, standard[Int(last)] & (symbols == 2 ? 0x0F : 0x03) != 0 { return nil }
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (4 - symbols) % 4))
        return Data(base64Encoded: Data(bytes))
    }

    /// Whether a padded text has a whole number of quanta and its last symbol before the padding
    /// carries no bits beyond the encoded bytes (4 spare bits before `==`, 2 before `=`).
    private static func hasCanonicalEnd<Bytes: BidirectionalCollection>(_ text: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard text.count % 4 == 0 else { return false }
        var index = text.endIndex
        var padding = 0
        while padding < 3, index > text.startIndex {
            let previous = text.index(before: index)
            guard text[previous] == UInt8(ascii: "=") else { break }
            index = previous
            padding += 1
        }
        guard padding > 0 else { return true }
        guard padding < 3, index > text.startIndex else { return false }
        let value = standard[Int(text[text.index(before: index)])]
        return value >= 0 && value & (padding == 2 ? 0x0F : 0x03) == 0
    }
}
