import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `dashboard-snapshot`, every ``interval``: stores each account's count of
/// active machines for today (``DashboardTable/recordActiveMachines(accountId:day:)``), the
/// points of the dashboard's chart of active machines over time. One transaction with the job's
/// completion.
struct DashboardSnapshotJob: JobHandler {
    let clock: any TollgateClock
    var kind: String { Self.kind }

    static let kind = "dashboard-snapshot"
    static let interval: TimeInterval = 3600

    func perform(_ run: JobRun) async throws {
        let now = clock.now()
        try await run.finish { session in
            for account in try await session.accounts.all() {
                try await session.dashboard.recordActiveMachines(accountId: account.id, day: now)
            }
        }
    }
}
