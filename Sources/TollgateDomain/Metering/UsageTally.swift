import Foundation
import TollgateFormats

/// What one event adds to its meter: the aggregated value (millionths) and, for `unique_count`,
/// the distinct value it names.
public struct MeterReading: Sendable, Equatable {
    /// The value aggregated: the quantity or the meter's property (`count`: one unit).
    public var value: Int64
    /// The property value whose distinct values a `unique_count` meter counts.
    public var distinct: String?
    /// The counter code of the event's group (``Meter/groupCode(_:)``) when the meter has
    /// `groupBy` properties.
    public var group: String?

    public init(value: Int64, distinct: String?, group: String? = nil) {
        self.value = value
        self.distinct = distinct
        self.group = group
    }
}

extension Meter {
    /// The code a group's counters are kept under: the meter's code, `|`, then each `groupBy`
    /// property as `name=value` (percent-encoded, an absent property empty), joined by `&`. Meter
    /// codes never hold `|`, so a group's counters never mix with a meter's.
    public func groupCode(_ properties: [String: JSONValue]) -> String? {
        guard !groupBy.isEmpty else { return nil }
        let pairs = groupBy.map { name in name + "=" + Self.escape(properties[name].flatMap(Self.text) ?? "") }
        return code + "|" + pairs.joined(separator: "&")
    }

    /// The properties and values a group code names.
    public static func group(ofCode code: String) -> [String: String] {
        guard let bar = code.firstIndex(of: "|") else { return [:] }
        var group: [String: String] = [:]
        for pair in code[code.index(after: bar)...].split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            group[String(parts[0])] = String(parts[1]).removingPercentEncoding ?? String(parts[1])
        }
        return group
    }

    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=|%+")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension Meter {
    /// What an event of `quantity` and `properties` adds to this meter: `nil` when the meter's
    /// filters leave it out. An event that lacks the property the meter aggregates, or whose value
    /// is not a number where one is needed, is refused: a reading the meter cannot take would
    /// otherwise be stored and never counted.
    ///
    /// A telemetry meter's event may carry only the properties the meter declares, so that no
    /// other data (an e-mail address, a user name) is ever stored with it.
    public func reading(quantity: UsageQuantity, properties: [String: JSONValue]) -> Result<MeterReading?, UsageEventRefusal> {
        if kind == .telemetry, let undeclared = properties.keys.sorted().first(where: { !allowedProperties.contains($0) }) {
            let allowed = allowedProperties.isEmpty ? "none" : allowedProperties.joined(separator: ", ")
            return .failure(refusal("Telemetry meter '\(code)' takes only the properties it declares (\(allowed)); '\(undeclared)' is not one."))
        }
        for (key, allowed) in filters {
            guard let value = properties[key].flatMap(Self.text), allowed.contains(value) else { return .success(nil) }
        }
        switch aggregation {
        case .count:
            return .success(MeterReading(value: UsageQuantity.scale, distinct: nil, group: groupCode(properties)))
        case .uniqueCount:
            guard let property, let value = properties[property].flatMap(Self.text) else {
                return .failure(refusal("A '\(code)' event names the '\(property ?? "")' whose distinct values the meter counts, in 'properties'."))
            }
            return .success(MeterReading(value: UsageQuantity.scale, distinct: value, group: groupCode(properties)))
        case .sum, .max, .latest, .timeWeightedAverage:
            guard let property else { return .success(MeterReading(value: quantity.micros, distinct: nil, group: groupCode(properties))) }
            guard let value = properties[property], let number = UsageQuantity(value) else {
                return .failure(refusal("A '\(code)' event carries the number the meter aggregates in 'properties.\(property)'."))
            }
            return .success(MeterReading(value: number.micros, distinct: nil, group: groupCode(properties)))
        }
    }

    private func refusal(_ message: String) -> UsageEventRefusal {
        UsageEventRefusal(id: nil, code: .invalidUsageEvent, message: message)
    }

    /// A property's value as filters and distinct counts compare it.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): UsageQuantity(.number(number))?.description ?? String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null, .array, .object: nil
        }
    }
}

/// A meter's usage over a span of time, kept as counters: the number of events counted and the
/// aggregated value in millionths (`count` and `unique_count`: a unit per event or distinct value;
/// `sum`: the total; `max`: the largest; `latest`: the value of the latest event, the larger value
/// on a tie of times, so the order events arrive in does not matter).
///
/// Tallies of adjacent spans merge (an hour's into a day's) for every aggregation but
/// `unique_count`, whose distinct values are tallied per period instead.
public struct UsageTally: Sendable, Equatable {
    public var events: Int64
    public var value: Int64
    /// The time (epoch milliseconds) of the latest event counted.
    public var latestAt: Int64

    public static let empty = UsageTally(events: 0, value: 0, latestAt: Int64.min)

    public init(events: Int64, value: Int64, latestAt: Int64) {
        self.events = events
        self.value = value
        self.latestAt = latestAt
    }

    /// One event's reading at `time` (epoch milliseconds).
    public init(_ reading: MeterReading, at time: Int64) {
        self.init(events: 1, value: reading.value, latestAt: time)
    }

    /// Adds `other`, a tally of the same meter over other events.
    public mutating func merge(_ other: UsageTally, _ aggregation: MeterAggregation) {
        guard other.events > 0 else { return }
        defer {
            events += other.events
            latestAt = Swift.max(latestAt, other.latestAt)
        }
        guard events > 0 else {
            value = other.value
            return
        }
        switch aggregation {
        case .count, .sum, .uniqueCount, .timeWeightedAverage: value = value.addingClamped(other.value)
        case .max: value = Swift.max(value, other.value)
        case .latest:
            if (other.latestAt, other.value) > (latestAt, value) { value = other.value }
        }
    }

    /// `self` merged with `other`.
    public func merging(_ other: UsageTally, _ aggregation: MeterAggregation) -> UsageTally {
        var tally = self
        tally.merge(other, aggregation)
        return tally
    }
}

extension Int64 {
    /// The sum, held at the bounds instead of trapping (a total beyond 9.2 × 10^12 units).
    public func addingClamped(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
