import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TollgateCore
import TollgateStore

/// Plain heartbeats (a live machine beating again) written in batches off the request path:
/// one write transaction every `interval` for all of them, instead of one per beat.
///
/// Only beats that change nothing but the time are batched; resurrections, refusals and
/// everything else that needs an audit entry or a seat check go through a write transaction at
/// once. Reads of machines (``overlay(_:)``) and the sweep (which flushes first) see pending
/// beats, so a buffered beat never lets its machine be culled. A flush never revives a machine
/// deactivated meanwhile and never moves a beat back in time. On SIGKILL at most one interval of
/// beats is lost, which costs a machine nothing while its grace is longer than the interval;
/// graceful shutdown writes them.
final class HeartbeatRecorder: Service, Sendable {
    private let pending = Mutex<[String: MachineTable.Beat]>([:])
    private let store: Store
    private let interval: Duration
    private let logger: Logger

    init(store: Store, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Queues the beat of `machine` (already moved by ``MachineStateMachine``).
    func record(_ machine: Machine) {
        let beat = MachineTable.Beat(id: machine.id, at: machine.lastHeartbeatAt, deadAt: machine.deadAt, cullWhenDead: machine.cullWhenDead)
        pending.withLock { pending in
            if let queued = pending[machine.id], queued.at >= beat.at { return }
            pending[machine.id] = beat
        }
    }

    /// `machine` with its pending beat applied, if it has a newer one.
    func overlay(_ machine: Machine) -> Machine {
        guard machine.state == .active, let beat = pending.withLock({ $0[machine.id] }), beat.at > machine.lastHeartbeatAt else { return machine }
        var beaten = machine
        beaten.lastHeartbeatAt = beat.at
        beaten.deadAt = beat.deadAt
        beaten.cullWhenDead = beat.cullWhenDead
        beaten.updatedAt = beat.at
        return beaten
    }

    /// Writes every pending beat; on failure they wait for the next attempt.
    func flush() async {
        let batch = pending.withLock { pending -> [MachineTable.Beat] in
            defer { pending.removeAll(keepingCapacity: true) }
            return Array(pending.values)
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.appendToLog { try $0.machines.recordBeats(batch) }
        } catch {
            pending.withLock { pending in
                for beat in batch where (pending[beat.id]?.at ?? .distantPast) < beat.at { pending[beat.id] = beat }
            }
            logger.warning("Heartbeat batch not written; will retry", metadata: ["count": "\(batch.count)", "error": "\(error)"])
        }
    }

    func run() async throws {
        await repeatUntilShutdown(every: interval) { await flush() }
        await flush()
    }
}
