import Foundation

/// A small JSON reader (RFC 8259) over UTF-8 bytes, for the offline hot path: Foundation's
/// decoders spend longer on a license file's content than Ed25519 spends on its signature.
///
/// ``JSONCursor`` walks a document without building it: a reader asks for the members it wants
/// and skips the rest, and only the strings it keeps are allocated. ``read(_:)`` builds a
/// ``JSONValue`` with the same cursor. Whatever the hot path does not accept (`nil`) is left to
/// `JSONDecoder`, which stays the authority; tests check both agree.
public enum JSONReader {
    /// The value `bytes` hold, or `nil` if they are not one JSON value (or nest deeper than 32).
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var cursor = JSONCursor(bytes)
        guard let value = cursor.value(depth: 0), cursor.atEnd else { return nil }
        return value
    }

    public static func read(_ bytes: some Collection<UInt8>) -> JSONValue? {
        if let value = bytes.withContiguousStorageIfAvailable({ read($0) }) { return value }
        return Array(bytes).withUnsafeBufferPointer { read($0) }
    }
}

/// A position in a JSON document. Each reading method consumes one value (after any white
/// space) and returns `nil` or `false` when the next value is not what it reads.
public struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Whether only white space is left.
    public var atEnd: Bool {
        mutating get {
            skipSpace()
            return index == bytes.count
        }
    }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Reads an object, calling `member` with each key (its UTF-8 bytes, escapes decoded) and the
    /// cursor on the member's value, which `member` must consume.
    public mutating func object(_ member: (UnsafeBufferPointer<UInt8>, inout JSONCursor) -> Bool) -> Bool {
        guard peek() == UInt8(ascii: "{") else { return false }
        index += 1
        if peek() == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { return false }
            let keyStart = index
            if let key = rawString() {
                guard peek() == UInt8(ascii: ":") else { return false }
                index += 1
                guard member(key, &self) else { return false }
            } else {
                index = keyStart
                guard var key = string(), peek() == UInt8(ascii: ":") else { return false }
                index += 1
                guard key.withUTF8({ member($0, &self) }) else { return false }
            }
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return true
            default: return false
            }
        }
    }

    /// Reads an array, calling `element` with the cursor on each element, which it must consume.
    public mutating func array(_ element: (inout JSONCursor) -> Bool) -> Bool {
        guard peek() == UInt8(ascii: "[") else { return false }
        index += 1
        if peek() == UInt8(ascii: "]") {
            index += 1
            return true
        }
        while true {
            guard element(&self) else { return false }
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return true
            default: return false
            }
        }
    }

    /// A string without escapes, as its bytes (no copy); `nil` for one with escapes or control characters.
    public mutating func rawString() -> UnsafeBufferPointer<UInt8>? {
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        index = end + 1
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// A string, escapes decoded; `nil` for bad escapes, control characters or invalid UTF-8.
    public mutating func string() -> String? {
        let start = index
        if let raw = rawString() { return String(validating: raw, as: UTF8.self) }
        index = start
        guard peek() == UInt8(ascii: "\"") else { return nil }
        index += 1
        var utf8: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(validating: utf8, as: UTF8.self)
            }
            guard byte >= 0x20 else { return nil }
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { return nil }
            index += 2
            switch bytes[index - 1] {
            case UInt8(ascii: "\""): utf8.append(0x22)
            case UInt8(ascii: "\\"): utf8.append(0x5C)
            case UInt8(ascii: "/"): utf8.append(0x2F)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                    index += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                utf8.append(contentsOf: String(Character(unicode)).utf8)
            default: return nil
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Consumes `null` if it is next.
    public mutating func null() -> Bool { literal("null") }

    mutating func literal(_ word: StaticString) -> Bool {
        skipSpace()
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// An integer that fits `Int`; `nil` for anything else (fractions and exponents included).
    public mutating func int() -> Int? {
        guard case .integer(let value)? = number() else { return nil }
        return Int(exactly: value)
    }

    /// A time in the one form ``InternetTime`` reads fast.
    public mutating func date() -> Date? { rawString().flatMap(InternetTime.parse(bytes:)) }

    /// A number: an integer that fits Int64 as `.integer`, anything else valid as `.number`.
    mutating func number() -> JSONValue? {
        skipSpace()
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        let integerDigits = index - integerStart
        guard integerDigits > 0, !(integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0")) else { return nil }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fractionStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > fractionStart else { return nil }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponentStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > exponentStart else { return nil }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        return Double(text).map(JSONValue.number)
    }

    /// Skips one value of any kind.
    public mutating func skip() -> Bool { value(depth: 0) != nil }

    /// One value of any kind, built.
    mutating func value(depth: Int) -> JSONValue? {
        guard depth < 32, let next = peek() else { return nil }
        switch next {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            let ok = object { key, cursor in
                guard let name = String(validating: key, as: UTF8.self), let member = cursor.value(depth: depth + 1) else { return false }
                members[name] = member
                return true
            }
            return ok ? .object(members) : nil
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            return array { cursor in
                guard let element = cursor.value(depth: depth + 1) else { return false }
                elements.append(element)
                return true
            } ? .array(elements) : nil
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return null() ? .null : nil
        default: return number()
        }
    }
}
