import Foundation
import Logging
import Metrics
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Records refused machine tokens without a database write per refusal: a client looping on an
/// expired or revoked token must not grow the audit log, nor queue behind the account's audit
/// chain, once per attempt.
///
/// Every refusal is counted (`tollgate_token_refusals_total{reason}`); the audit log gets a
/// sample: one `token.refused` entry per machine and reason per ``window`` of server time,
/// written by the ``BatchWriter`` in one transaction per flush (every flush interval and at shutdown).
final class TokenRefusalLog: BatchBuffer {
    /// The shortest time between two audit entries for the same machine and reason.
    static let window: TimeInterval = 60
    /// Machines with an entry waiting; beyond this, refusals are only counted (and logged once per flush).
    static let maximumPending = 100_000

    struct Key: Hashable, Sendable {
        var accountId: String
        var machineId: String
        var reason: TokenRefusal.Reason
    }

    private struct State {
        /// When each key last got an audit entry (queued or written), pruned after ``window``.
        var lastAudited: [Key: Date] = [:]
        /// Entries to write at the next flush, with the time of the refusal they sample.
        var pending: [Key: Date] = [:]
        var dropped = 0
    }

    private let state = Mutex(State())
    let flushes = AsyncGate()
    private let store: Store
    private let clock: any TollgateClock
    private let logger: Logger
    static let counters = [
        TokenRefusal.Reason.expired: Counter(label: "tollgate_token_refusals_total", dimensions: [("reason", "expired")]),
        .revoked: Counter(label: "tollgate_token_refusals_total", dimensions: [("reason", "revoked")]),
    ]

    init(store: Store, clock: any TollgateClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    /// Counts `refusal` and queues an audit entry unless its machine had one for the same reason
    /// within the window.
    func record(_ refusal: TokenRefusal) {
        Self.counters[refusal.reason]?.increment()
        let key = Key(accountId: refusal.accountId, machineId: refusal.machineId, reason: refusal.reason)
        let now = clock.now()
        state.withLock { state in
            if let last = state.lastAudited[key], now.timeIntervalSince(last) < Self.window { return }
            guard state.pending.count < Self.maximumPending else {
                state.dropped += 1
                return
            }
            state.lastAudited[key] = now
            state.pending[key] = now
        }
    }

    /// Writes the queued entries in one transaction; on failure they wait for the next flush.
    func write() async {
        let now = clock.now()
        let (batch, dropped) = state.withLock { state -> ([Key: Date], Int) in
            defer {
                state.pending.removeAll(keepingCapacity: true)
                state.dropped = 0
            }
            state.lastAudited = state.lastAudited.filter { now.timeIntervalSince($0.value) < Self.window }
            return (state.pending, state.dropped)
        }
        if dropped > 0 { logger.warning("Token refusals beyond the pending limit were counted but not audited", metadata: ["count": "\(dropped)"]) }
        guard !batch.isEmpty else { return }
        struct Sample: Encodable { var reason: String }
        let entries = batch.sorted { ($0.value, $0.key.machineId) < ($1.value, $1.key.machineId) }
        do {
            try await store.write { session in
                for (key, at) in entries {
                    try await session.audit.record(
                        accountId: key.accountId, actor: "machine:\(key.machineId)", action: "token.refused", objectType: "machine",
                        objectId: key.machineId, before: nil as Sample?, after: Sample(reason: key.reason.rawValue), at: at)
                }
            }
        } catch {
            state.withLock { state in
                for (key, at) in batch where state.pending.count < Self.maximumPending { state.pending[key] = state.pending[key] ?? at }
            }
            logger.warning("Token refusal audit batch not written; will retry", metadata: ["count": "\(batch.count)", "error": "\(error)"])
        }
    }
}
