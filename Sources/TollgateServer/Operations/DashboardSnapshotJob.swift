import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `dashboard-snapshot`, every ``interval``: stores each account's count of
/// active machines for today (``DashboardTable/recordActiveMachines(accountId:day:)``), the
/// points of the dashboard's chart of active machines over time, and its meters' month so far
/// (``DashboardTable/recordMeterMonths(accountId:monthStart:)``). One transaction with the job's
/// completion.
struct DashboardSnapshotJob: JobHandler {
    let clock: any TollgateClock
    var kind: String { Self.kind }

    static let kind = "dashboard-snapshot"
    static let interval: TimeInterval = 3600

    /// The start of `date`'s calendar month, UTC (the monthly counters' periods).
    static func monthStart(of date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar.dateInterval(of: .month, for: date)?.start ?? date
    }

    func perform(_ run: JobRun) async throws {
        let now = clock.now()
        try await run.finish { session in
            for account in try await session.accounts.all() {
                try await session.dashboard.recordActiveMachines(accountId: account.id, day: now)
                try await session.dashboard.recordMeterMonths(accountId: account.id, monthStart: Self.monthStart(of: now))
            }
        }
    }
}
