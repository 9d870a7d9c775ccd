import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `usage.retention`, hourly: deletes raw usage events older than the
/// retention (`TOLLGATE_USAGE_RETENTION_DAYS`), 10,000 per transaction. Counters, which quotas and
/// analytics read, stay. The retention is never shorter than the window in which late events are
/// accepted (`TOLLGATE_USAGE_LATE_DAYS`) plus a day, so every event the server would still take
/// is still there to dedup against.
///
/// Each transaction deletes only rows past the cutoff, so a run cut short is safe to run again.
struct UsageRetentionJob: JobHandler {
    let days: Int
    /// Days events are taken late.
    let lateDays: Int
    let clock: any TollgateClock
    var kind: String { Self.kind }

    static let kind = "usage.retention"
    static let interval: TimeInterval = 3_600
    static let batch = 10_000

    func perform(_ run: JobRun) async throws {
        let cutoff = clock.now().addingTimeInterval(-TimeInterval(max(days, lateDays + 1)) * 86_400)
        while try await run.store.write({ try await $0.usageEvents.deleteOlder(than: cutoff, limit: Self.batch) }) == Self.batch {}
    }
}
