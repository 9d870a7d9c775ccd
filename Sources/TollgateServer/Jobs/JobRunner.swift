import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The one background service that runs jobs (see `JobTable` for the rules of a claim).
///
/// Every `pollInterval` it reads whether a job of its kinds is due, and if so claims up to
/// ``batch`` of them and runs them one after another. While a job runs its lease is extended
/// every third of ``lease``, so a long job keeps it and a killed runner loses it within one
/// lease. A failure is retried after an exponential backoff (``backoff(after:every:)``); a job
/// that runs once dies after its last attempt. Every replica runs one; the claim decides which
/// runs a job, so each due run happens once across them.
///
/// At start it schedules the recurring jobs it was given (`JobTable.schedule`), first due at once.
final class JobRunner: Service {
    /// A recurring job and its interval.
    struct Recurring: Sendable {
        var kind: String
        var every: TimeInterval
    }

    let store: Store
    let handlers: [String: any JobHandler]
    let recurring: [Recurring]
    let clock: any TollgateClock
    let pollInterval: Duration
    let logger: Logger
    /// How long a claim holds a job before another runner may take it.
    let lease: TimeInterval
    /// Jobs claimed at once.
    let batch = 10
    /// This process, as `jobs.lease_owner` shows it.
    let owner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"

    init(
        store: Store, handlers: [any JobHandler], recurring: [Recurring], clock: any TollgateClock, pollInterval: Duration, lease: TimeInterval = 60,
        logger: Logger
    ) {
        self.store = store
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.recurring = recurring
        self.clock = clock
        self.pollInterval = pollInterval
        self.lease = lease
        self.logger = logger
        // Every kind's counters exist from the start at 0, so that rules and dashboards over them
        // see a series before the first failure.
        for kind in self.handlers.keys {
            _ = Counter(label: "tollgate_job_runs_total", dimensions: [("kind", kind)])
            _ = Counter(label: "tollgate_job_failures_total", dimensions: [("kind", kind)])
        }
    }

    /// The wait before attempt `attempts + 1` after a failure: 5 s doubled per attempt, at most an
    /// hour, and for a recurring job at most its interval.
    static func backoff(after attempts: Int, every: TimeInterval?) -> TimeInterval {
        let exponential = 5 * pow(2, Double(min(max(attempts - 1, 0), 20)))
        return min(exponential, every ?? 3_600, 3_600)
    }

    /// Creates the recurring jobs that do not exist yet.
    func schedule() async throws {
        let now = clock.now()
        let recurring = recurring
        try await store.write { session in
            for job in recurring { try await session.jobs.schedule(job.kind, every: job.every, firstRun: now, at: now) }
        }
    }

    /// Claims the jobs due now and runs them; returns how many ran (successfully or not).
    @discardableResult
    func runDue() async throws -> Int {
        let kinds = handlers.keys.sorted()
        let now = clock.now()
        guard try await store.read({ try await $0.jobs.anyDue(kinds: kinds, at: now) }) else { return 0 }
        let (owner, lease, batch) = (owner, lease, batch)
        let claimed = try await store.write(lock: .rows) { try await $0.jobs.claim(kinds: kinds, owner: owner, at: now, lease: lease, limit: batch) }
        for job in claimed { await run(job) }
        return claimed.count
    }

    private func run(_ job: JobTable.Job) async {
        guard let handler = handlers[job.kind] else { return }
        let run = JobRun(job: job, store: store, clock: clock)
        let started = ContinuousClock.now
        Counter(label: "tollgate_job_runs_total", dimensions: [("kind", job.kind)]).increment()
        do {
            try await withLeaseKept(job) {
                try await handler.perform(run)
                if !run.isFinished { try await run.finish { _ in } }
            }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            logger.debug("Job done", metadata: ["job": "\(job.kind)", "id": "\(job.id)", "seconds": "\(seconds)"])
        } catch let lost as JobLeaseLost {
            logger.warning("Job lease lost to another runner; its work was rolled back", metadata: ["job": "\(job.kind)", "id": "\(lost.jobId)"])
        } catch {
            Counter(label: "tollgate_job_failures_total", dimensions: [("kind", job.kind)]).increment()
            let now = clock.now()
            let retryAt = now.addingTimeInterval(Self.backoff(after: job.attempts, every: job.every))
            let state: JobTable.Job.State?? = try? await store.write(lock: .rows) { try await $0.jobs.fail(job, error: "\(error)", retryAt: retryAt, at: now) }
            let outcome = state.flatMap { $0?.rawValue } ?? "not recorded"
            logger.warning(
                "Job failed", metadata: ["job": "\(job.kind)", "id": "\(job.id)", "attempt": "\(job.attempts)", "now": "\(outcome)", "error": "\(error)"])
        }
    }

    /// Runs `body` while a side task moves the job's lease forward every third of a lease.
    private func withLeaseKept(_ job: JobTable.Job, _ body: () async throws -> Void) async throws {
        let (store, clock, lease) = (store, clock, lease)
        let keeper = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(lease / 3))
                let until = clock.now().addingTimeInterval(lease)
                guard try await store.write(lock: .rows, { try await $0.jobs.extendLease(job, until: until) }) else { return }
            }
        }
        defer { keeper.cancel() }
        try await body()
    }

    func run() async throws {
        var scheduled = false
        do {
            try await schedule()
            scheduled = true
        } catch {
            logger.warning("Recurring jobs not scheduled; will retry", metadata: ["error": "\(error)"])
        }
        await repeatUntilShutdown(every: pollInterval) {
            do {
                if !scheduled {
                    try await schedule()
                    scheduled = true
                }
                try await runDue()
            } catch {
                logger.warning("Job runner could not claim jobs; will retry", metadata: ["error": "\(error)"])
            }
        }
    }
}
