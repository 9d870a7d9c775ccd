import Foundation
import Logging
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Plain heartbeats (a live machine beating again) written in batches off the request path:
/// one write transaction per ``BatchWriter`` flush for all of them, instead of one per beat.
///
/// Only beats that change nothing but the time are batched; resurrections, refusals and
/// everything else that needs an audit entry or a seat check go through a write transaction at
/// once. Reads of machines (``overlay(_:)``) and the sweep (which flushes first) see pending
/// beats, so a buffered beat never lets its machine be culled. A flush never revives a machine
/// deactivated meanwhile and never moves a beat back in time. On SIGKILL at most one interval of
/// beats is lost, which costs a machine nothing while its grace is longer than the interval;
/// graceful shutdown writes them.
final class HeartbeatRecorder: BatchBuffer {
    /// Beats not yet written, and the last batch written: kept one more interval so that a
    /// read which loaded its row just before that batch committed still sees the beat.
    private struct Queue {
        var pending: [String: MachineTable.Beat] = [:]
        var written: [String: MachineTable.Beat] = [:]
    }
    private let queue = Mutex(Queue())
    let flushes = AsyncGate()
    private let store: Store
    private let logger: Logger

    init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Queues the beat of `machine` (already moved by ``MachineStateMachine``).
    func record(_ machine: Machine) {
        let beat = MachineTable.Beat(id: machine.id, at: machine.lastHeartbeatAt, deadAt: machine.deadAt, cullWhenDead: machine.cullWhenDead)
        queue.withLock { queue in
            if let queued = queue.pending[machine.id], queued.at >= beat.at { return }
            queue.pending[machine.id] = beat
        }
    }

    /// `machine` with its pending (or just written) beat applied, if it has a newer one.
    func overlay(_ machine: Machine) -> Machine {
        guard machine.state == .active else { return machine }
        let beat = queue.withLock { $0.pending[machine.id] ?? $0.written[machine.id] }
        guard let beat, beat.at > machine.lastHeartbeatAt else { return machine }
        var beaten = machine
        beaten.lastHeartbeatAt = beat.at
        beaten.deadAt = beat.deadAt
        beaten.cullWhenDead = beat.cullWhenDead
        beaten.updatedAt = beat.at
        return beaten
    }

    /// Writes every pending beat; on failure they wait for the next attempt. A beat stays
    /// visible to ``overlay(_:)`` until one interval after its write has committed, so a read
    /// never falls between the buffer and the store.
    func write() async {
        let batch = queue.withLock { Array($0.pending.values) }
        guard !batch.isEmpty else {
            queue.withLock { $0.written.removeAll() }
            return
        }
        do {
            try await store.appendToLog { try await $0.machines.recordBeats(batch) }
            queue.withLock { queue in
                queue.written.removeAll(keepingCapacity: true)
                for beat in batch where queue.pending[beat.id]?.at == beat.at {
                    queue.pending[beat.id] = nil
                    queue.written[beat.id] = beat
                }
            }
        } catch {
            logger.warning("Heartbeat batch not written; will retry", metadata: ["count": "\(batch.count)", "error": "\(error)"])
        }
    }
}
