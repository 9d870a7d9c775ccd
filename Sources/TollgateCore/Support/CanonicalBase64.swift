import Foundation

/// Base64 decoding that accepts only the one text each byte string encodes to (RFC 4648 §3.5):
/// the standard alphabet, padding exactly where it belongs, and zero in the unused low bits of
/// the last character. Foundation's decoder ignores those bits, so `…Ag==` and `…Ah==` decode
/// to the same bytes; a signature checked after such a decoder accepts a text with a changed
/// character. Every base64 that Tollgate signs or verifies goes through here instead.
///
/// ```swift
/// CanonicalBase64.decode("AQI=")   // [1, 2]
/// CanonicalBase64.decode("AQM=")   // nil: the last character's unused bits are not zero
/// ```
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
    public static func decode(_ text: some StringProtocol) -> Data? { decode(bytes: Array(text.utf8)) }

    /// ``decode(_:)`` of ASCII bytes.
    public static func decode(bytes: [UInt8]) -> Data? {
        guard bytes.count % 4 == 0 else { return nil }
        var padding = 0
        if bytes.last == UInt8(ascii: "=") { padding = bytes.dropLast().last == UInt8(ascii: "=") ? 2 : 1 }
        guard isCanonical(bytes[..<(bytes.count - padding)], table: standard) else { return nil }
        return Data(base64Encoded: Data(bytes))
    }

    /// Unpadded base64url (RFC 4648 §5, as JWTs and JWKS use it); `nil` for any other text,
    /// padded text included.
    public static func decodeURL(_ text: some StringProtocol) -> Data? {
        var bytes = Array(text.utf8)
        guard bytes.count % 4 != 1, isCanonical(bytes[...], table: url) else { return nil }
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "-") { bytes[index] = UInt8(ascii: "+") } else if bytes[index] == UInt8(ascii: "_") { bytes[index] = UInt8(ascii: "/") }
        }
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (4 - bytes.count % 4) % 4))
        return Data(base64Encoded: Data(bytes))
    }

    /// Whether `symbols` (the text without padding) are all of the alphabet and the last one
    /// carries no bits beyond the encoded bytes: 4 spare bits when 2 symbols end the text, 2 when 3 do.
    private static func isCanonical(_ symbols: ArraySlice<UInt8>, table: [Int8]) -> Bool {
        for byte in symbols where table[Int(byte)] < 0 { return false }
        guard let last = symbols.last else { return true }
        switch symbols.count % 4 {
        case 2: return table[Int(last)] & 0x0F == 0
        case 3: return table[Int(last)] & 0x03 == 0
        case 0: return true
        default: return false
        }
    }
}
