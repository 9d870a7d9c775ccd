/// Crockford's Base32: digits and upper-case letters without I, L, O and U.
///
/// Decoding is case-insensitive, reads `O` as `0` and `I`/`L` as `1`, and ignores
/// hyphens and white space, so that a key read aloud or regrouped still decodes.
public enum CrockfordBase32 {
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, char) in alphabet.enumerated() {
            table[Int(char)] = Int8(index)
            let lower = char | 0x20
            if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") { table[Int(lower)] = Int8(index) }
        }
        for (char, value) in [("O", 0), ("o", 0), ("I", 1), ("i", 1), ("L", 1), ("l", 1)] {
            table[Int(Character(char).asciiValue!)] = Int8(value)
        }
        return table
    }()

    /// Encodes bytes, most significant bit first; the last group is padded with zero bits.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes text produced by ``encode(_:)``; `nil` for a character outside the alphabet
    /// or padding bits that are not zero.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for char in text.utf8 {
            if char == UInt8(ascii: "-") || char == UInt8(ascii: " ") || char == UInt8(ascii: "\n")
                || char == UInt8(ascii: "\r") || char == UInt8(ascii: "\t")
            {
                continue
            }
            guard char < 128 else { return nil }
            let value = decodeTable[Int(char)]
            guard value >= 0 else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        // Leftover bits are padding and must be zero.
        if bits > 0, buffer & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return output
    }
}
