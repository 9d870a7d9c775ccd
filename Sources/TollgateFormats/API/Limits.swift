/// Limits are the vendor's data: a policy maps codes it chooses (`seats`, `gpu-hours`,
/// `projects`) to a number or `"unlimited"`, each with an optional period that says whether
/// the limit resets. Tollgate enforces only the limits it owns itself — `maxMachines` (a typed
/// policy field a license may override under the reserved code `maxMachines`) and the lease
/// limit a policy names (its `leaseLimit`); the vendor's app reads the others by code.
public enum LimitCodes {
    /// The reserved code under which ``EffectiveLimits`` carries `maxMachines` and a license overrides it.
    public static let maxMachines = "maxMachines"
    /// The code a policy's leases count against unless it names another.
    public static let defaultLeaseLimit = "concurrentExecutions"
    /// At most this many limits per policy.
    public static let maxPerPolicy = 64

    /// Whether `code` is a valid limit code: a lower-case letter, then up to 63 letters,
    /// digits, `_`, `.` or `-`. Upper-case letters after the first are allowed so that the
    /// seed presets' camel-case codes (`executionsPerMonth`) stay valid.
    public static func isValid(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard let first = bytes.first, bytes.count <= 64, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.dropFirst().allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "-")
        }
    }
}

/// Whether a limit resets, and how often (calendar periods in UTC).
public enum LimitPeriod: String, APIEnum {
    case none, hour, day, month, year
}

/// A limit's value: a number, or `"unlimited"`. `null` reads as unlimited too: version 1
/// files and tokens wrote unlimited that way.
public enum LimitValue: Codable, Sendable, Equatable, Hashable {
    case limited(Int)
    case unlimited

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .unlimited
        } else if let number = try? container.decode(Int.self) {
            self = .limited(number)
        } else if let text = try? container.decode(String.self), text == "unlimited" {
            self = .unlimited
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "A limit is a whole number or the string 'unlimited'.")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .limited(let value): try container.encode(value)
        case .unlimited: try container.encode("unlimited")
        }
    }

    /// The number, or `nil` for unlimited.
    public var maximum: Int? {
        if case .limited(let value) = self { return value }
        return nil
    }

    /// `nil` becomes `.unlimited`.
    public init(_ maximum: Int?) {
        self = maximum.map(LimitValue.limited) ?? .unlimited
    }
}

/// The limits in force for one license: its policy's limits with the license's overrides, and
/// `maxMachines` under its reserved code. Answers, machine tokens and license files carry it as
/// two members: `limits` (code → number or `"unlimited"`) and `limitPeriods` (code → period, for
/// limits that reset).
public struct EffectiveLimits: Sendable, Equatable {
    /// Every limit by code.
    public var values: [String: LimitValue]
    /// The period of each limit that resets (absent: `none`).
    public var periods: [String: LimitPeriod]

    public init(values: [String: LimitValue] = [:], periods: [String: LimitPeriod] = [:]) {
        self.values = values
        self.periods = periods
    }

    /// The value of `code`, or `nil` when the license has no such limit.
    public subscript(code: String) -> LimitValue? { values[code] }

    /// Machines at once; `nil` for unlimited.
    public var maxMachines: Int? { values[LimitCodes.maxMachines]?.maximum }

    /// The period of `code` (`none` when it does not reset or does not exist).
    public func period(of code: String) -> LimitPeriod { periods[code] ?? .none }

    /// The values in code order, for writers that need a stable order.
    public var sortedValues: [(code: String, value: LimitValue)] {
        values.sorted { $0.key < $1.key }.map { (code: $0.key, value: $0.value) }
    }

    /// The periods in code order.
    public var sortedPeriods: [(code: String, period: LimitPeriod)] {
        periods.sorted { $0.key < $1.key }.map { (code: $0.key, period: $0.value) }
    }
}

extension EffectiveLimits {
    /// Reads the two members that carry limits — `limits` (code → number, `"unlimited"`, or `null`
    /// in version 1) and `limitPeriods` (absent in version 1) — from `container`.
    public init<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, limits: Key, periods: Key) throws {
        self.init(
            values: try container.decode([String: LimitValue].self, forKey: limits),
            periods: try container.decodeIfPresent([String: LimitPeriod].self, forKey: periods) ?? [:])
    }

    /// Writes the two members that carry limits into `container`.
    public func encode<Key: CodingKey>(to container: inout KeyedEncodingContainer<Key>, limits: Key, periods: Key) throws {
        try container.encode(values, forKey: limits)
        try container.encode(self.periods, forKey: periods)
    }
}
