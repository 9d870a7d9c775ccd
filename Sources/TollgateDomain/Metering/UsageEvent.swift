import Crypto
import Foundation
import TollgateFormats

/// One unit of metered usage as stored: what a vendor's app reported, once.
///
/// `id` is the sender's: it is the event's idempotency key, unique in the account, so a retry of
/// an event that was stored is recognised (`duplicate`) and an id reused for other usage is refused
/// (`conflict`) instead of being dropped. `payloadHash` is what tells the two apart.
public struct UsageEvent: Sendable, Equatable {
    public var id: String
    public var accountId: String
    public var licenseId: String
    public var machineId: String?
    /// The meter's code (``Meter/code``).
    public var meter: String
    public var quantity: UsageQuantity
    /// When the usage happened (the sender's clock), to the millisecond.
    public var timestamp: Date
    /// The event's properties as canonical JSON (keys sorted), `{}` when it has none.
    public var properties: String
    /// SHA-256 (hex) over the event's content as sent: license, machine, meter, quantity, timestamp
    /// (when the sender gave one) and properties.
    public var payloadHash: String
    public var receivedAt: Date
}

/// A quantity of usage: a decimal with at most six fractional digits and at most 10¹² in
/// magnitude, kept exactly as millionths (a `Double` would turn ten events of 0.1 into
/// 0.9999999999999999). A period's total of one license fits 9.2 × 10¹² units.
public struct UsageQuantity: Sendable, Equatable, CustomStringConvertible {
    /// The quantity in millionths of a unit.
    public var micros: Int64

    public static let scale: Int64 = 1_000_000
    public static let maximum: Int64 = 1_000_000_000_000

    public init(micros: Int64) { self.micros = micros }

    /// The quantity as a `Decimal`, exactly (answers write it as a JSON number).
    public var decimal: Decimal { Decimal(string: description) ?? 0 }

    /// The decimal text, without trailing zeros: `2.5`, `-3`, `0.000001`.
    public var description: String {
        let magnitude = micros.magnitude
        let whole = magnitude / UInt64(Self.scale)
        var fraction = String(magnitude % UInt64(Self.scale))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return (micros < 0 ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// The quantity of a JSON number or decimal string (`2.5`, `"2.5"`, `"1e3"`); `nil` when it is
    /// neither, has more than six fractional digits, or exceeds 10¹² in magnitude.
    public init?(_ value: JSONValue) {
        switch value {
        case .integer(let number):
            guard number.magnitude <= UInt64(Self.maximum) else { return nil }
            self.init(micros: number * Self.scale)
        // Swift writes a double as the shortest text that reads back as the same double, which is
        // the text the sender wrote whenever it had at most 15 significant digits.
        case .number(let number) where number.isFinite: self.init(decimal: "\(number)")
        case .string(let text): self.init(decimal: text)
        default: return nil
        }
    }

    /// Parses `[-]digits[.digits][e[+-]digits]`.
    public init?(decimal text: String) {
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var exponent = 0
        while let byte = bytes.first {
            if byte >= 0x30 && byte <= 0x39 {
                digits.append(byte - 0x30)
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !seenPoint, !digits.isEmpty {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                var rest = bytes.dropFirst()
                let negativeExponent = rest.first == UInt8(ascii: "-")
                if rest.first == UInt8(ascii: "-") || rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
                guard !rest.isEmpty, rest.count <= 3, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                exponent = rest.reduce(0) { $0 * 10 + Int($1 - 0x30) } * (negativeExponent ? -1 : 1)
                bytes = bytes[bytes.endIndex...]
                break
            } else {
                return nil
            }
            bytes = bytes.dropFirst()
        }
        guard !digits.isEmpty, !(seenPoint && fractionDigits == 0) else { return nil }
        // The value is digits × 10^(exponent − fractionDigits); in millionths, × 10^6 more.
        var shift = exponent - fractionDigits + 6
        while shift < 0, digits.last == 0, digits.count > 1 {
            digits.removeLast()
            shift += 1
        }
        guard shift >= 0 else { return nil }  // finer than a millionth
        var micros: Int64 = 0
        for digit in digits + Array(repeating: 0, count: shift) {
            let (times, overflow) = micros.multipliedReportingOverflow(by: 10)
            guard !overflow, times <= Self.maximum * Self.scale else { return nil }
            micros = times + Int64(digit)
        }
        guard micros <= Self.maximum * Self.scale else { return nil }
        self.init(micros: negative ? -micros : micros)
    }
}

/// What became of one event of a batch.
public enum UsageEventStatus: String, APIEnum {
    /// Stored now.
    case accepted
    /// Stored before with the same content: nothing changed, and the sender may forget it.
    case duplicate
    /// Its id was stored before with other content: refused, the stored event stands.
    case conflict
    /// Not valid (the reason says why); nothing stored.
    case rejected
}

/// An event of a batch, read and checked on its own: a batch with bad events stores the good ones.
public struct UsageEventInput: Sendable {
    public var id: String
    public var licenseId: String?
    /// Names the license through its customer, who must hold exactly one license that is not
    /// revoked (an API token only; resolved by the ingestor).
    public var customerId: String?
    public var machineId: String?
    public var meter: String
    public var quantity: UsageQuantity
    public var timestamp: Date?
    /// The properties as stored (``canonicalProperties(_:)``).
    public var properties: String
    /// The properties as read, for the meter's filters and aggregated property.
    public var propertyValues: [String: JSONValue]

    /// The fields an event may have.
    public static let fields: Set<String> = ["id", "licenseId", "customerId", "machineId", "meter", "quantity", "timestamp", "properties"]
    /// At most this many properties, each a string of at most 200 characters, a number or a boolean.
    public static let maximumProperties = 32

    /// Reads `value` (one element of a batch, `nil` for an NDJSON line that is not JSON); a refusal
    /// names its code and reason, and the id when the event had a usable one.
    public static func read(_ value: JSONValue?) -> Result<UsageEventInput, UsageEventRefusal> {
        guard let value else { return .failure(UsageEventRefusal(id: nil, code: .invalidUsageEvent, message: "The line is not JSON.")) }
        guard case .object(let members) = value else { return .failure(UsageEventRefusal(id: nil, code: .invalidUsageEvent, message: "An event is a JSON object.")) }
        var id: String?
        if case .string(let text)? = members["id"], !text.isEmpty, text.utf8.count <= 128, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) {
            id = text
        }
        func refuse(_ message: String, code: MeteringCode = .invalidUsageEvent) -> Result<UsageEventInput, UsageEventRefusal> {
            .failure(UsageEventRefusal(id: id, code: code, message: message))
        }
        guard let id else { return refuse("'id' is required: 1 to 128 printable ASCII characters, unique per event (its idempotency key).") }
        if let unknown = members.keys.sorted().first(where: { !fields.contains($0) }) {
            return refuse("Unknown field '\(unknown)'; an event takes \(fields.sorted().joined(separator: ", ")).")
        }
        guard case .string(let meter)? = members["meter"], LimitCodes.isValid(meter) else {
            return refuse("'meter' is required: the code of one of the account's meters.")
        }
        var quantity = UsageQuantity(micros: UsageQuantity.scale)
        if let value = members["quantity"], value != .null {
            guard let read = UsageQuantity(value) else {
                return refuse(
                    "'quantity' is a number or a decimal string with at most 6 decimal places and at most 10^12 in magnitude.", code: .invalidQuantity)
            }
            quantity = read
        }
        var timestamp: Date?
        if let value = members["timestamp"], value != .null {
            guard case .string(let text) = value, let date = UsageEventInput.time(text) else {
                return refuse("'timestamp' is an RFC 3339 time in UTC, such as 2026-03-01T12:00:00Z or 2026-03-01T12:00:00.250Z.")
            }
            timestamp = date
        }
        var ids: [String: String] = [:]
        for field in ["licenseId", "customerId", "machineId"] {
            guard let value = members[field], value != .null else { continue }
            guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= 64 else { return refuse("'\(field)' is an id.") }
            ids[field] = text
        }
        if ids["licenseId"] != nil, ids["customerId"] != nil { return refuse("Name the license by 'licenseId' or by 'customerId', not both.") }
        var properties: [String: JSONValue] = [:]
        if let value = members["properties"], value != .null {
            guard case .object(let object) = value, object.count <= maximumProperties else {
                return refuse("'properties' is an object of at most \(maximumProperties) members.")
            }
            for (key, property) in object {
                do { try MeterDraft.requirePropertyName(key, field: "properties") } catch { return refuse(error.message) }
                switch property {
                case .string(let text) where text.count <= 200: break
                case .integer, .number, .bool: break
                default: return refuse("Property '\(key)' is a string of at most 200 characters, a number or a boolean.")
                }
            }
            properties = object
        }
        return .success(
            UsageEventInput(
                id: id, licenseId: ids["licenseId"], customerId: ids["customerId"], machineId: ids["machineId"], meter: meter, quantity: quantity,
                timestamp: timestamp, properties: canonicalProperties(properties), propertyValues: properties))
    }

    /// The stored event, once the license is known and the time is in the window.
    public func event(accountId: String, licenseId: String, at timestamp: Date, receivedAt: Date) -> UsageEvent {
        let millis = timestamp.epochMilliseconds
        // The content as sent: an event without a time (stored at its arrival) is the same event
        // when it arrives again later, or at another replica.
        let sent = self.timestamp.map { String($0.epochMilliseconds) } ?? ""
        let content = [licenseId, machineId ?? "", meter, quantity.description, sent, properties].joined(separator: "\n")
        return UsageEvent(
            id: id, accountId: accountId, licenseId: licenseId, machineId: machineId, meter: meter, quantity: quantity,
            timestamp: Date(epochMilliseconds: millis), properties: properties,
            payloadHash: SHA256.hash(data: Data(content.utf8)).hexString, receivedAt: receivedAt)
    }

    /// `2026-03-01T12:00:00Z`, with an optional fraction of up to nine digits (kept to the millisecond).
    static func time(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        guard let seconds = InternetTime.parse(String(decoding: bytes[0..<19] + [UInt8(ascii: "Z")], as: UTF8.self)) else { return nil }
        guard bytes.count > 20 else { return seconds }
        let fraction = bytes[20..<(bytes.count - 1)]
        guard bytes[19] == UInt8(ascii: "."), (1...9).contains(fraction.count), fraction.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let millis = (Array(fraction) + [0x30, 0x30, 0x30]).prefix(3).reduce(0) { $0 * 10 + Int64($1 - 0x30) }
        return Date(epochMilliseconds: seconds.epochMilliseconds + millis)
    }

    /// The properties as stored and hashed: a JSON object with its keys in byte order, written by
    /// ``JSONWriter`` (strings escaped as JSON requires and nothing else, integers in decimal,
    /// other numbers as Swift writes a `Double`, booleans as `true`/`false`). This is the event's
    /// identity: it must not change once events are stored, or a retry of an old event would read
    /// as a conflict. Not `JSONEncoder`: it took 7.5 % of the server's time at 40,000 events/s
    /// (`perf`, `scripts/bench/usage`).
    static func canonicalProperties(_ properties: [String: JSONValue]) -> String {
        var json = JSONWriter(capacity: 64)
        json.object { json in
            for key in properties.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                json.key(key)
                switch properties[key]! {
                case .string(let text): json.string(text)
                case .integer(let number): json.int(Int(number))
                case .number(let number): json.number(number)
                case .bool(let flag): json.bool(flag)
                case .null, .array, .object: json.null()  // refused before it gets here
                }
            }
        }
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

/// Why an event of a batch was refused.
public struct UsageEventRefusal: Error, Sendable, Equatable {
    /// The event's id, when it had a usable one.
    public var id: String?
    public var code: MeteringCode
    public var message: String
}
