import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// A license's quotas: for each limit of its policy that has a period and a meter of the same
/// code, the period's usage against the limit, read from the counters.
enum UsageQuotas {
    /// The quota of `meter` for the license at `date` with no usage yet; `nil` when the license
    /// has no limit with a period of the meter's code (or the meter is a time-weighted average,
    /// which is not counted yet).
    static func quota(of meter: Meter, license: License, policy: Policy?, at date: Date) -> UsageQuota? {
        guard meter.aggregation != .timeWeightedAverage, let policy,
            let window = policy.limitPeriods[meter.code]?.window(containing: date),
            let limit = license.effectiveLimit(meter.code, policy: policy)
        else { return nil }
        return UsageQuota(
            meter: meter.code, aggregation: meter.aggregation, window: window, limit: limit,
            enforcement: policy.limitEnforcement[meter.code] ?? .allowOverage, tally: .empty)
    }

    /// Every quota of the license at `date`, in meter code order, with its usage.
    static func quotas(of license: License, policy: Policy, meters: [String: Meter], at date: Date, session: StoreSession) async throws -> [UsageQuota] {
        var quotas: [UsageQuota] = []
        for code in meters.keys.sorted() {
            guard let meter = meters[code], var quota = quota(of: meter, license: license, policy: policy, at: date) else { continue }
            quota.tally = try await UsageCounting.tally(
                of: meter, licenseId: license.id, window: quota.window, accountId: license.accountId, session: session)
            quotas.append(quota)
        }
        return quotas
    }

    /// The reason an event or a check is refused at a blocking limit.
    static func reachedMessage(_ quota: UsageQuota) -> String {
        "The license allows \(quota.limit.maximum.map(String.init) ?? "unlimited") '\(quota.meter)' per \(quota.window.period.rawValue) "
            + "and \(UsageQuantity(micros: quota.used)) are used; the limit resets at \(quota.window.end.formatted(.iso8601))."
    }
}
