/// The usage limits a tier sets. `nil` means unlimited.
public struct UsageLimits: Codable, Sendable, Equatable {
    public var maxWorkflows: Int?
    public var executionsPerMonth: Int?
    public var concurrentExecutions: Int?
    public var requestsPerSecond: Int?

    public init(maxWorkflows: Int? = nil, executionsPerMonth: Int? = nil, concurrentExecutions: Int? = nil, requestsPerSecond: Int? = nil) {
        self.maxWorkflows = maxWorkflows
        self.executionsPerMonth = executionsPerMonth
        self.concurrentExecutions = concurrentExecutions
        self.requestsPerSecond = requestsPerSecond
    }

    /// No limits at all.
    public static let unlimited = UsageLimits()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxWorkflows, executionsPerMonth, concurrentExecutions, requestsPerSecond
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let unknown = try decoder.unknownKeys(allowed: CodingKeys.allCases.map(\.rawValue))
        if let first = unknown.first {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [AnyCodingKey(stringValue: first)],
                    debugDescription: "Unknown limit '\(first)'; limits are maxWorkflows, executionsPerMonth, concurrentExecutions, requestsPerSecond."))
        }
        maxWorkflows = try container.decodeIfPresent(Int.self, forKey: .maxWorkflows)
        executionsPerMonth = try container.decodeIfPresent(Int.self, forKey: .executionsPerMonth)
        concurrentExecutions = try container.decodeIfPresent(Int.self, forKey: .concurrentExecutions)
        requestsPerSecond = try container.decodeIfPresent(Int.self, forKey: .requestsPerSecond)
    }

    /// Encodes unlimited as an explicit `null`, so a reader sees every limit.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxWorkflows, forKey: .maxWorkflows)
        try container.encode(executionsPerMonth, forKey: .executionsPerMonth)
        try container.encode(concurrentExecutions, forKey: .concurrentExecutions)
        try container.encode(requestsPerSecond, forKey: .requestsPerSecond)
    }

    func validate(prefix: String) throws(TollgateError) {
        try Rules.requireRange(maxWorkflows, field: "\(prefix).maxWorkflows", min: 0)
        try Rules.requireRange(executionsPerMonth, field: "\(prefix).executionsPerMonth", min: 0)
        try Rules.requireRange(concurrentExecutions, field: "\(prefix).concurrentExecutions", min: 0)
        try Rules.requireRange(requestsPerSecond, field: "\(prefix).requestsPerSecond", min: 0)
    }
}

/// The effective limits of one license: its policy's limits with its overrides applied.
public struct EffectiveLimits: Codable, Sendable, Equatable {
    public var maxMachines: Int?
    public var maxWorkflows: Int?
    public var executionsPerMonth: Int?
    public var concurrentExecutions: Int?
    public var requestsPerSecond: Int?

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: LimitName.self)
        try container.encode(maxMachines, forKey: .maxMachines)
        try container.encode(maxWorkflows, forKey: .maxWorkflows)
        try container.encode(executionsPerMonth, forKey: .executionsPerMonth)
        try container.encode(concurrentExecutions, forKey: .concurrentExecutions)
        try container.encode(requestsPerSecond, forKey: .requestsPerSecond)
    }
}

/// The name of every limit a license may override.
public enum LimitName: String, CodingKey, APIEnum {
    case maxMachines, maxWorkflows, executionsPerMonth, concurrentExecutions, requestsPerSecond
}

/// A license's own value for a limit: a number, or `"unlimited"`.
public enum LimitValue: Codable, Sendable, Equatable {
    case limited(Int)
    case unlimited

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .limited(number)
        } else if let text = try? container.decode(String.self), text == "unlimited" {
            self = .unlimited
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "A limit override is a whole number or the string 'unlimited'.")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .limited(let value): try container.encode(value)
        case .unlimited: try container.encode("unlimited")
        }
    }

    var asOptional: Int? {
        if case .limited(let value) = self { return value }
        return nil
    }
}

extension Decoder {
    /// The keys of the object being decoded that are not in `allowed`.
    func unknownKeys(allowed: [String]) throws -> [String] {
        let keys = try container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        let allowedSet = Set(allowed)
        return keys.filter { !allowedSet.contains($0) }.sorted()
    }
}

/// A coding key for any string.
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
extension LimitName: CodingKeyRepresentable {}
