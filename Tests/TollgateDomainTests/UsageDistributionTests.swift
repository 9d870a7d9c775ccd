import Foundation
import Testing
@testable import TollgateDomain

/// The distribution's buckets sort as their values do, hold values within 1 % of their
/// representative, and give percentiles within 1 % of the exact nearest-rank ones.
@Suite struct UsageDistributionTests {
    @Test func bucketsSortAsValuesAndStandForTheirValuesWithinOnePercent() {
        var previous = Int64.min
        var generator = SystemRandomNumberGenerator()
        let values = ([0, 1, 2, 3, 50, 51, 999_999, 1_000_000, 1_000_001, Int64(1e15)] + (0..<2_000).map { _ in Int64.random(in: 1...10_000_000_000, using: &generator) })
        for value in Set(values.flatMap { [$0, -$0] }).sorted() {
            let bucket = UsageDistribution.bucket(of: value)
            #expect(bucket >= previous, "\(value)")
            previous = bucket
            let representative = UsageDistribution.value(ofBucket: bucket)
            #expect(abs(Double(representative - value)) <= abs(Double(value)) * UsageDistribution.accuracy + 0.5, "\(value) → \(representative)")
        }
        // Every value up to 50 millionths has a bucket of its own.
        #expect(Set((1...50).map { UsageDistribution.bucket(of: Int64($0)) }).count == 50)
    }

    @Test func percentilesAreWithinOnePercentOfTheExactOnes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let values = (0..<Int.random(in: 1...3_000, using: &generator)).map { _ in Int64.random(in: -5_000_000...900_000_000, using: &generator) }
            var halves = (UsageDistribution(), UsageDistribution())
            for (index, value) in values.enumerated() {
                if index % 2 == 0 { halves.0.add(value) } else { halves.1.add(value) }
            }
            var distribution = halves.0
            distribution.merge(halves.1)
            #expect(distribution.total == Int64(values.count))
            let sorted = values.sorted()
            for percent in [1.0, 50, 95, 99, 100] {
                let rank = max(1, Int((Double(values.count) * percent / 100).rounded(.up)))
                let exact = sorted[rank - 1]
                let estimate = distribution.percentile(percent)!
                #expect(abs(Double(estimate - exact)) <= abs(Double(exact)) * UsageDistribution.accuracy + 0.5, "p\(percent): \(estimate) vs \(exact)")
            }
        }
        #expect(UsageDistribution().percentile(50) == nil)
        var zeros = UsageDistribution()
        zeros.add(0, count: 3)
        #expect(zeros.percentile(99) == 0)
    }
}
