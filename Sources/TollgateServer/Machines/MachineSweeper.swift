import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `machine-sweep`, on the server's clock: deactivates dead machines whose
/// policy says so (freeing their seats), ends cluster drains and deletes expired leases. The
/// ``JobRunner`` runs it every `TOLLGATE_SWEEP_INTERVAL_SECONDS`, once across replicas.
///
/// Work goes in batches of ``batchSize`` rows, one write transaction each, so heartbeats and
/// activations get the writer between batches. Each deactivated machine gets its audit entry
/// and its event in its batch's transaction. A batch takes only machines still active, so a
/// sweep killed between batches and run again continues where it stopped: every dead machine
/// dies once, with one event.
struct MachineSweeper: JobHandler {
    let store: Store
    let heartbeats: HeartbeatRecorder
    let clock: any TollgateClock
    let logger: Logger
    var batchSize = 5_000
    var kind: String { Self.kind }

    static let kind = "machine-sweep"

    /// What one sweep did.
    struct Outcome: Sendable, Equatable {
        var died = 0
        var drained = 0
    }

    static let actor = "system:sweeper"

    /// Sweeps once, now.
    @discardableResult
    func sweep() async throws -> Outcome {
        // Buffered beats first, so that no machine that beat in time is culled.
        await heartbeats.flush()
        let now = clock.now()
        var outcome = Outcome()
        outcome.died = try await deactivateInBatches(reason: .dead, action: "machine.died", now: now) { try await $0.machines.dead(at: now, limit: $1) }
        outcome.drained = try await deactivateInBatches(reason: .clusterDrained, action: "machine.deactivated", now: now) {
            try await $0.machines.drained(at: now, limit: $1)
        }
        try await store.write { try await $0.leases.deleteExpired(before: now) }
        return outcome
    }

    private func deactivateInBatches(
        reason: DeactivationReason, action: String, now: Date,
        select: @escaping @Sendable (StoreSession, Int) async throws -> [Machine]
    ) async throws -> Int {
        var total = 0
        let batchSize = self.batchSize
        while true {
            let count = try await store.write { session -> Int in
                let doomed = try await select(session, batchSize)
                guard !doomed.isEmpty else { return 0 }
                try await session.machines.deactivate(ids: doomed.map(\.id), reason: reason, at: now)
                let deactivated = MachineTable.deactivated(doomed, reason: reason, at: now)
                for (accountId, machines) in Dictionary(grouping: deactivated, by: \.accountId) {
                    try await ChangeLog.recordMany(
                        session, accountId: accountId, actor: Self.actor, type: action, objectType: "machine",
                        objects: machines.map { ($0.id, MachineView($0, policy: nil, now: now)) }, at: now)
                }
                return doomed.count
            }
            total += count
            if count < batchSize { return total }
        }
    }

    func perform(_ run: JobRun) async throws {
        let started = ContinuousClock.now
        let outcome = try await sweep()
        if outcome.died + outcome.drained > 0 {
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            logger.info("Machine sweep", metadata: ["died": "\(outcome.died)", "drained": "\(outcome.drained)", "seconds": "\(seconds)"])
        }
    }
}
