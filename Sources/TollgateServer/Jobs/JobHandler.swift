import Foundation
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// One kind of background job: what the ``JobRunner`` does with a claimed job of ``kind``.
protocol JobHandler: Sendable {
    /// The `jobs.kind` this handler runs.
    var kind: String { get }
    /// Does the work of `run.job`. A handler whose work is one transaction does it in
    /// ``JobRun/finish(_:)``, which completes the job in that transaction: then a kill before
    /// the commit leaves neither the work nor the completion, and the job runs again. A handler
    /// that returns without calling it is completed by the runner afterwards, in a transaction of
    /// its own; its work must then be safe to do again (each of its transactions changes only
    /// rows still waiting for it, as the machine sweep does).
    func perform(_ run: JobRun) async throws
}

/// One claim of one job, as a handler sees it.
final class JobRun: Sendable {
    let job: JobTable.Job
    let store: Store
    let clock: any TollgateClock
    private let finished = Atomic<Bool>(false)

    init(job: JobTable.Job, store: Store, clock: any TollgateClock) {
        self.job = job
        self.store = store
        self.clock = clock
    }

    /// Whether ``finish(_:)`` committed.
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Runs `body` and completes the job in one write transaction: both commit, or neither does.
    /// Throws `JobLeaseLost` (rolling `body` back) when the claim ran out and another runner took
    /// the job.
    @discardableResult
    func finish<T: Sendable>(_ body: @escaping @Sendable (StoreSession) async throws -> T) async throws -> T {
        let job = job
        let now = clock.now()
        let result = try await store.write { session in
            let result = try await body(session)
            try await session.jobs.complete(job, at: now)
            return result
        }
        finished.store(true, ordering: .releasing)
        return result
    }
}
