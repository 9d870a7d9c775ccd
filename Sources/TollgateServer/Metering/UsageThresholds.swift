import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Writes `usage.threshold_crossed` to the event log when a license's usage of a meter reaches
/// 80 % or 100 % of its limit: once per license, meter, threshold and period, in the transaction
/// that counted the usage (a late event that takes a past period over writes that period's).
enum UsageThresholds {
    /// The event's data.
    struct Crossing: Encodable {
        var licenseId: String
        var meter: String
        var threshold: Int
        var period: LimitPeriod
        var periodStart: Date
        var periodEnd: Date
        var limit: LimitValue
        var used: Decimal
    }

    static func record(
        _ counted: [UsageCounting.Counted], contexts: [String: LicenseContext], credential: Credential, session: StoreSession, now: Date
    ) async throws {
        var windows: [UsagePeriodKey: (Meter, UsageQuota)] = [:]
        for item in counted {
            guard let context = contexts[item.event.licenseId],
                let quota = UsageQuotas.quota(of: item.meter, license: context.license, policy: context.policy, at: item.event.timestamp), quota.limitMicros != nil
            else { continue }
            windows[UsagePeriodKey(licenseId: item.event.licenseId, meter: item.meter.code, start: quota.window.start)] = (item.meter, quota)
        }
        for key in windows.keys.sorted() {
            guard let (meter, blank) = windows[key] else { continue }
            var quota = blank
            quota.tally = try await UsageCounting.tally(
                of: meter, licenseId: key.licenseId, window: quota.window, at: now, accountId: credential.accountId, session: session)
            var crossings: [(id: String, state: Crossing)] = []
            for threshold in quota.thresholdsReached {
                guard
                    try await session.usageCounters.markThreshold(
                        accountId: credential.accountId, licenseId: key.licenseId, meter: key.meter, period: quota.window.period,
                        startsAt: quota.window.start, threshold: threshold, at: now)
                else { continue }
                crossings.append(
                    (
                        key.licenseId,
                        Crossing(
                            licenseId: key.licenseId, meter: key.meter, threshold: threshold, period: quota.window.period,
                            periodStart: quota.window.start, periodEnd: quota.window.end, limit: quota.limit,
                            used: UsageQuantity(micros: quota.used).decimal)
                    ))
            }
            guard !crossings.isEmpty else { continue }
            try await ChangeLog.recordMany(
                session, accountId: credential.accountId, actor: credential.actor, type: "usage.threshold_crossed", objectType: "license",
                objects: crossings, at: now)
        }
    }
}
