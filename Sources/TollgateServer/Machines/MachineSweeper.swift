import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TollgateCore
import TollgateStore

/// The background job of machines, on the server's clock: deactivates dead machines whose
/// policy says so (freeing their seats), ends cluster drains, deletes expired leases and
/// idempotency keys older than a day.
///
/// With several replicas on one database each tick runs once: a replica first claims the tick
/// in `job_ticks` (``JobTable``), and only the replica that wins runs the sweep.
///
/// Work goes in batches of ``batchSize`` rows, one write transaction each, so heartbeats and
/// activations get the writer between batches. Each deactivated machine gets its audit entry.
struct MachineSweeper: Service {
    let store: Store
    let heartbeats: HeartbeatRecorder
    let clock: any TollgateClock
    let interval: Duration
    let logger: Logger
    var batchSize = 5_000

    /// What one sweep did.
    struct Outcome: Sendable, Equatable {
        var died = 0
        var drained = 0
    }

    static let actor = "system:sweeper"
    /// How long an `Idempotency-Key` is remembered.
    static let idempotencyWindow: TimeInterval = 86_400
    /// This process, as `job_ticks.owner` shows it.
    static let owner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    /// Sweeps this replica ran (ticks it claimed): across replicas they add up to one per tick.
    static let runs = Counter(label: "tollgate_job_runs_total", dimensions: [("job", "machine-sweep")])

    /// Claims this tick for this replica; `false` when another replica ran the sweep within the interval.
    func claimTick() async throws -> Bool {
        let now = clock.now()
        let seconds = Double(interval.components.seconds) * 0.9
        return try await store.write { try $0.jobs.claim("machine-sweep", owner: Self.owner, at: now, every: seconds) }
    }

    /// Sweeps once, now.
    @discardableResult
    func sweep() async throws -> Outcome {
        // Buffered beats first, so that no machine that beat in time is culled.
        await heartbeats.flush()
        let now = clock.now()
        var outcome = Outcome()
        outcome.died = try await deactivateInBatches(reason: .dead, action: "machine.died", now: now) { try $0.machines.dead(at: now, limit: $1) }
        outcome.drained = try await deactivateInBatches(reason: .clusterDrained, action: "machine.deactivated", now: now) {
            try $0.machines.drained(at: now, limit: $1)
        }
        try await store.write { session in
            try session.leases.deleteExpired(before: now)
            try session.idempotency.deleteOlder(than: now.addingTimeInterval(-Self.idempotencyWindow))
        }
        return outcome
    }

    private func deactivateInBatches(
        reason: DeactivationReason, action: String, now: Date,
        select: @escaping @Sendable (StoreSession, Int) throws -> [MachineTable.Doomed]
    ) async throws -> Int {
        var total = 0
        let batchSize = self.batchSize
        while true {
            let count = try await store.write { session -> Int in
                let doomed = try select(session, batchSize)
                guard !doomed.isEmpty else { return 0 }
                try session.machines.deactivate(ids: doomed.map(\.id), reason: reason, at: now)
                for (accountId, machines) in Dictionary(grouping: try session.machines.find(ids: doomed.map(\.id)), by: \.accountId) {
                    try ChangeLog.recordMany(
                        session, accountId: accountId, actor: Self.actor, type: action, objectType: "machine",
                        objects: machines.map { ($0.id, MachineView($0, policy: nil, now: now)) }, at: now)
                }
                return doomed.count
            }
            total += count
            if count < batchSize { return total }
        }
    }

    func run() async throws {
        await repeatUntilShutdown(every: interval) {
            let started = ContinuousClock.now
            do {
                // Another replica may have swept this tick.
                guard try await claimTick() else { return }
                Self.runs.increment()
                let outcome = try await sweep()
                if outcome.died + outcome.drained > 0 {
                    let seconds = (ContinuousClock.now - started) / .seconds(1)
                    logger.info(
                        "Machine sweep", metadata: ["died": "\(outcome.died)", "drained": "\(outcome.drained)", "seconds": "\(seconds)"])
                }
            } catch {
                logger.warning("Machine sweep failed; will retry", metadata: ["error": "\(error)"])
            }
        }
    }
}
