import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The upgrade (or downgrade) a quota answer suggests: the lowest tier of the license's product
/// whose limits hold the usage of the last full period of each quota. Tiers are the product's
/// policies ordered by their `rank`, then by age.
enum UsageTierSuggestion {
    struct Tier: Encodable, Equatable {
        var policyId: String
        var name: String
        var rank: Int
        /// Whether it is the license's own tier (its usage fits where it is).
        var current: Bool
    }

    /// `lastPeriod`: meter code → the license's usage of its last full period, in millionths.
    static func lowestFitting(license: License, policy: Policy, lastPeriod: [String: Int64], session: StoreSession) async throws -> Tier? {
        let tiers = try await session.policies.tiers(accountId: license.accountId, productId: license.productId)
        let fitting = tiers.first { tier in
            lastPeriod.allSatisfy { meter, used in
                guard let maximum = tier.limits[meter]?.maximum else { return true }
                let (micros, overflow) = Int64(maximum).multipliedReportingOverflow(by: UsageQuantity.scale)
                return overflow || used <= micros
            }
        }
        return fitting.map { Tier(policyId: $0.id, name: $0.name, rank: $0.rank, current: $0.id == policy.id) }
    }
}
