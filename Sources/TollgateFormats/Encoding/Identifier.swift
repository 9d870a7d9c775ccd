import Foundation
import Synchronization

/// The kinds of objects Tollgate names, each with the prefix its ids carry.
public enum IdentifierKind: String, Sendable, CaseIterable {
    case account = "acc"
    case token = "tok"
    case product = "prd"
    case policy = "pol"
    case customer = "cus"
    case license = "lic"
    case auditEvent = "aud"
    case validation = "val"
    case machine = "mch"
    case lease = "lse"
    case event = "evt"
    case job = "job"
    case entitlement = "ent"
    case meter = "mtr"
    case user = "usr"
    case webhookEndpoint = "whe"
    case webhookDelivery = "whd"
    case notification = "ntf"
}

/// Object ids: a kind prefix and a ULID, e.g. `lic_01JD3M6Z0K8Q4W2T5N7R9B1C3E`.
///
/// The ULID half is 48 bits of milliseconds and 80 random bits in Crockford Base32, so ids
/// sort by creation time (cursor pagination orders by id) and pack into 16 bytes (license
/// keys carry them in binary).
public enum Identifier {
    /// A new id of `kind` created at `date`.
    ///
    /// Monotonic within a process: an id made in the same millisecond as the previous one
    /// (or with a clock that went back) is the previous one plus one, so ids always sort in
    /// the order they were made.
    public static func make(_ kind: IdentifierKind, at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt128(UInt64(max(0, date.epochMilliseconds)) & 0xFFFF_FFFF_FFFF)
        let random = (UInt128(generator.next() as UInt64) << 16) | UInt128(generator.next() as UInt16)
        let value = last.withLock { last -> UInt128 in
            var next = (millis << 80) | random
            if next <= last { next = last &+ 1 }
            last = next
            return next
        }
        return "\(kind.rawValue)_" + encodeULID(value)
    }

    /// Ids for many objects at once (a batch of log rows): one random draw for the whole batch,
    /// each id carrying its own time and sorting after the previous one.
    public static func make(_ kind: IdentifierKind, at dates: [Date]) -> [String] {
        var generator = SystemRandomNumberGenerator()
        let random = (UInt128(generator.next() as UInt64) << 16) | UInt128(generator.next() as UInt16)
        return last.withLock { last in
            dates.map { date in
                let millis = UInt128(UInt64(max(0, date.epochMilliseconds)) & 0xFFFF_FFFF_FFFF)
                var next = (millis << 80) | random
                if next <= last { next = last &+ 1 }
                last = next
                return "\(kind.rawValue)_" + encodeULID(next)
            }
        }
    }

    private static let last = Mutex<UInt128>(0)

    /// The 16 bytes of an id's ULID, if `id` is a well-formed id of `kind`.
    public static func bytes(of id: String, kind: IdentifierKind) -> [UInt8]? {
        let prefix = kind.rawValue + "_"
        guard id.hasPrefix(prefix), let value = decodeULID(id.dropFirst(prefix.count)) else { return nil }
        return (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128((15 - $0) * 8)) }
    }

    /// The id of `kind` whose ULID is `bytes` (16 bytes).
    public static func string(kind: IdentifierKind, bytes: some Collection<UInt8>) -> String {
        precondition(bytes.count == 16)
        let value = bytes.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) }
        return "\(kind.rawValue)_" + encodeULID(value)
    }

    /// Whether `id` is a well-formed id of `kind`.
    public static func isValid(_ id: String, kind: IdentifierKind) -> Bool { bytes(of: id, kind: kind) != nil }

    static func encodeULID(_ value: UInt128) -> String {
        var chars = [UInt8](repeating: 0, count: 26)
        var remaining = value
        for index in stride(from: 25, through: 0, by: -1) {
            chars[index] = CrockfordBase32.alphabet[Int(remaining & 31)]
            remaining >>= 5
        }
        return String(decoding: chars, as: UTF8.self)
    }

    static func decodeULID(_ text: Substring) -> UInt128? {
        guard text.utf8.count == 26, let first = text.utf8.first, first <= UInt8(ascii: "7") else { return nil }
        var value: UInt128 = 0
        for char in text.utf8 {
            // Ids are canonical: upper-case alphabet characters only.
            guard let index = CrockfordBase32.alphabet.firstIndex(of: char) else { return nil }
            value = (value << 5) | UInt128(index)
        }
        return value
    }
}
