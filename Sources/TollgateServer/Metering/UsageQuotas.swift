import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// A license's quotas: for each limit of its policy that has a period and a meter of the same
/// code, the period's usage against the limit, read from the counters.
enum UsageQuotas {
    /// The quota of `meter` for the license at `date` with no usage yet; `nil` when the license
    /// has no limit with a period of the meter's code (or the meter is telemetry).
    static func quota(of meter: Meter, license: License, policy: Policy?, at date: Date) -> UsageQuota? {
        guard meter.kind == .usage, let policy,
            let window = policy.limitPeriods[meter.code]?.window(containing: date),
            let limit = license.effectiveLimit(meter.code, policy: policy)
        else { return nil }
        return UsageQuota(
            meter: meter.code, aggregation: meter.aggregation, window: window, limit: limit,
            // A reading reports a level; it consumes nothing a limit could refuse.
            enforcement: meter.aggregation == .timeWeightedAverage ? .allowOverage : policy.limitEnforcement[meter.code] ?? .allowOverage,
            tally: .empty)
    }

    /// Every quota of the license at `date`, in meter code order, with its usage; and each
    /// quota's usage in the period before (millionths), which the upgrade suggestion weighs.
    static func quotas(
        of license: License, policy: Policy, meters: [String: Meter], at date: Date, session: StoreSession
    ) async throws -> (quotas: [UsageQuota], lastPeriod: [String: Int64]) {
        var quotas: [UsageQuota] = []
        var lastPeriod: [String: Int64] = [:]
        for code in meters.keys.sorted() {
            guard let meter = meters[code], var quota = quota(of: meter, license: license, policy: policy, at: date) else { continue }
            let (current, previous) = try await UsageCounting.tallies(
                of: meter, licenseId: license.id, window: quota.window, at: date, accountId: license.accountId, session: session)
            quota.tally = current
            lastPeriod[code] = previous.events > 0 ? previous.value : 0
            quotas.append(quota)
        }
        return (quotas, lastPeriod)
    }

    /// The reason an event or a check is refused at a blocking limit.
    static func reachedMessage(_ quota: UsageQuota) -> String {
        "The license allows \(quota.limit.maximum.map(String.init) ?? "unlimited") '\(quota.meter)' per \(quota.window.period.rawValue) "
            + "and \(UsageQuantity(micros: quota.used)) are used; the limit resets at \(quota.window.end.formatted(.iso8601))."
    }

    /// Each quota's meter and the current period's usage (millionths), by meter code: what
    /// `scope.usage` adds to validation answers and machine tokens.
    static func used(of license: License, policy: Policy, at date: Date, session: StoreSession) async throws -> [(code: String, used: Int64)] {
        let meters = try await session.meters.byCode(accountId: license.accountId)
        return try await quotas(of: license, policy: policy, meters: meters, at: date, session: session).quotas.map { ($0.meter, $0.used) }
    }
}
