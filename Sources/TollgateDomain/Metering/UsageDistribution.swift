import Foundation

/// The distribution of a meter's values (millionths), kept as counts per logarithmic bucket so
/// that percentiles come from a few hundred numbers instead of every event, and distributions of
/// hours merge into days and months by adding counts.
///
/// Each bucket holds the values within 1 % of its representative (``value(ofBucket:)``): a
/// percentile read from the buckets is within 1 % of the exact one (relative error, the scheme of
/// DDSketch). Bucket 0 holds zero; bucket `i > 0` the positive values `v` with
/// `γ^(i-2) < v ≤ γ^(i-1)`; bucket `-i` the negative values mirrored; so buckets sort as their
/// values do. Values are integers (millionths), so every value from 1 to 50 millionths has a bucket
/// of its own.
public struct UsageDistribution: Sendable, Equatable {
    /// Counts by bucket.
    public private(set) var counts: [Int64: Int64]

    public init(counts: [Int64: Int64] = [:]) {
        self.counts = counts.filter { $0.value > 0 }
    }

    /// The relative accuracy of a percentile.
    public static let accuracy = 0.01
    static let gamma = (1 + accuracy) / (1 - accuracy)
    static let logGamma = log(gamma)

    /// The bucket that holds `micros`.
    public static func bucket(of micros: Int64) -> Int64 {
        guard micros != 0 else { return 0 }
        let magnitude = Double(micros.magnitude)
        let index = Int64((log(magnitude) / logGamma).rounded(.up)) + 1
        return micros > 0 ? index : -index
    }

    /// The value a bucket stands for: the one within 1 % of every value it holds.
    public static func value(ofBucket bucket: Int64) -> Int64 {
        guard bucket != 0 else { return 0 }
        let upper = pow(gamma, Double(bucket.magnitude - 1))
        let magnitude = (2 * upper / (gamma + 1)).rounded()
        let clamped = Int64(min(max(magnitude, 1), 9.2e18))
        return bucket > 0 ? clamped : -clamped
    }

    /// The number of values.
    public var total: Int64 { counts.values.reduce(0, +) }

    /// Adds `count` values of `micros`.
    public mutating func add(_ micros: Int64, count: Int64 = 1) {
        add(bucket: Self.bucket(of: micros), count: count)
    }

    /// Adds `count` values to `bucket`.
    public mutating func add(bucket: Int64, count: Int64) {
        guard count > 0 else { return }
        counts[bucket, default: 0] += count
    }

    /// Adds another distribution's values.
    public mutating func merge(_ other: UsageDistribution) {
        for (bucket, count) in other.counts { add(bucket: bucket, count: count) }
    }

    /// The `percent` percentile (nearest rank: the smallest value that at least `percent` % of the
    /// values do not exceed), within 1 %; `nil` without values.
    public func percentile(_ percent: Double) -> Int64? {
        let total = self.total
        guard total > 0 else { return nil }
        let rank = max(1, Int64((Double(total) * percent / 100).rounded(.up)))
        var seen: Int64 = 0
        for bucket in counts.keys.sorted() {
            seen += counts[bucket] ?? 0
            if seen >= rank { return Self.value(ofBucket: bucket) }
        }
        return counts.keys.max().map(Self.value(ofBucket:))
    }
}
