import Foundation
import TollgateFormats

/// How a meter turns a period's usage events into one number.
public enum MeterAggregation: String, APIEnum {
    /// The number of events.
    case count
    /// The total of the aggregated value.
    case sum
    /// The largest aggregated value.
    case max
    /// The number of distinct values of the property (active users, projects).
    case uniqueCount = "unique_count"
    /// The aggregated value of the period's latest event (a reading).
    case latest
    /// The average of a gauge over time, each value weighted by how long it held (seats in use,
    /// storage held).
    case timeWeightedAverage = "time_weighted_average"
}

/// What a meter's events are.
public enum MeterKind: String, APIEnum {
    /// Usage a license is metered, limited and billed for.
    case usage
    /// Product telemetry (latency, errors, features used): recorded only for licenses whose
    /// policy opted in (`telemetry`), with the license and machine stored as salted hashes
    /// (``TelemetryPseudonym``) and only the properties the meter declares. Limits never bind to it.
    case telemetry
}

/// What a vendor measures: usage events of one code, aggregated one way. The code is the one
/// policy limits use, so a limit with a period binds to the meter of the same code.
///
/// The aggregated value is `property` of each event's properties, or the event's `quantity` when a
/// meter of `sum`, `max`, `latest` or `time_weighted_average` names none (the common case: `{"meter":
/// "gpu-hours", "quantity": "2.5"}`). `count` aggregates no value; `unique_count` needs a property.
public struct Meter: Codable, Sendable, Equatable {
    public var id: String
    public var accountId: String
    /// The meter's code, unique in the account; a limit code (``LimitCodes/isValid(_:)``).
    public var code: String
    public var name: String
    public var description: String
    public var aggregation: MeterAggregation
    /// The event property aggregated, or `nil` for the event's quantity (and for `count`).
    public var property: String?
    /// Only events whose properties hold, for every key, one of its listed values count.
    public var filters: [String: [String]]
    /// Properties whose values split the usage into groups (analytics).
    public var groupBy: [String]
    public var kind: MeterKind
    /// The only property keys a telemetry meter's events may carry (empty for usage meters).
    public var allowedProperties: [String]
    /// Whether the distribution of the aggregated value is kept, per license and hour, so that
    /// analytics answer its percentiles (p50, p95, p99 of `latencyMs`). It costs ingestion a row
    /// per license, hour and value bucket (``UsageDistribution``), so a meter asks for it.
    public var percentiles: Bool
    public var createdAt: Date
    public var updatedAt: Date
}

/// The fields of a meter a caller sets.
public struct MeterDraft: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var description: String?
    public var aggregation: MeterAggregation
    public var property: String?
    public var filters: [String: [String]]?
    public var groupBy: [String]?
    public var percentiles: Bool?
    public var kind: MeterKind?
    public var allowedProperties: [String]?

    /// At most this many filter keys, values per key, and group-by properties.
    public static let maximumFilters = 16
    public static let maximumFilterValues = 100
    public static let maximumGroupBy = 8

    /// Checks the rules and builds the meter.
    public func validated(id: String, accountId: String, now: Date) throws(TollgateError) -> Meter {
        try Rules.requireLimitCode(code, field: "code")
        try Rules.requireText(name, field: "name")
        if let description, description.count > 500 {
            throw .invalid(field: "description", message: "'description' holds at most 500 characters.")
        }
        switch (aggregation, property) {
        case (.count, .some):
            throw .invalid(field: "property", message: "A 'count' meter counts events; it aggregates no property.")
        case (.uniqueCount, nil):
            throw .invalid(field: "property", message: "A 'unique_count' meter needs the 'property' whose distinct values it counts.")
        default: break
        }
        if let property { try Self.requirePropertyName(property, field: "property") }
        if percentiles == true, aggregation == .count || aggregation == .uniqueCount {
            throw .invalid(field: "percentiles", message: "Percentiles need a meter of values: 'sum', 'max', 'latest' or 'time_weighted_average'.")
        }
        let filters = filters ?? [:]
        guard filters.count <= Self.maximumFilters else {
            throw .invalid(field: "filters", message: "'filters' holds at most \(Self.maximumFilters) properties.")
        }
        for (key, values) in filters.sorted(by: { $0.key < $1.key }) {
            try Self.requirePropertyName(key, field: "filters")
            guard !values.isEmpty, values.count <= Self.maximumFilterValues, values.allSatisfy({ !$0.isEmpty && $0.count <= 200 }) else {
                throw .invalid(
                    field: "filters",
                    message: "Filter '\(key)' lists 1 to \(Self.maximumFilterValues) values of 1 to 200 characters each.")
            }
        }
        let groupBy = groupBy ?? []
        guard groupBy.count <= Self.maximumGroupBy, Set(groupBy).count == groupBy.count else {
            throw .invalid(field: "groupBy", message: "'groupBy' names at most \(Self.maximumGroupBy) distinct properties.")
        }
        for name in groupBy { try Self.requirePropertyName(name, field: "groupBy") }
        let kind = kind ?? .usage
        let allowed = allowedProperties ?? []
        guard allowed.count <= UsageEventInput.maximumProperties, Set(allowed).count == allowed.count else {
            throw .invalid(
                field: "allowedProperties", message: "'allowedProperties' names at most \(UsageEventInput.maximumProperties) distinct properties.")
        }
        for name in allowed { try Self.requirePropertyName(name, field: "allowedProperties") }
        if kind == .usage, !allowed.isEmpty {
            throw .invalid(field: "allowedProperties", message: "Only telemetry meters declare 'allowedProperties'.")
        }
        if kind == .telemetry {
            // Everything the meter reads must be a property its events may carry.
            let read: [(String, String?)] = [("property", property)] + filters.keys.sorted().map({ ("filters", $0) }) + groupBy.map({ ("groupBy", $0) })
            for (field, name) in read {
                guard let name, !allowed.contains(name) else { continue }
                throw .invalid(field: field, message: "Telemetry meter property '\(name)' is not in 'allowedProperties'.")
            }
        }
        return Meter(
            id: id, accountId: accountId, code: code, name: name, description: description ?? "", aggregation: aggregation,
            property: property, filters: filters, groupBy: groupBy, kind: kind, allowedProperties: allowed, percentiles: percentiles ?? false,
            createdAt: now, updatedAt: now)
    }

    /// Property names: a letter or `_`, then up to 63 letters, digits, `_`, `.` or `-`.
    static func requirePropertyName(_ name: String, field: String) throws(TollgateError) {
        let bytes = Array(name.utf8)
        func letter(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F }
        guard let first = bytes.first, letter(first), bytes.count <= 64,
            bytes.allSatisfy({ letter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D })
        else {
            throw .invalid(
                field: field,
                message: "Property name '\(name)' is not valid: start with a letter or '_', then up to 63 letters, digits, '_', '.' or '-'.")
        }
    }
}
