import Synchronization

/// Gathers the guarded machine inserts of one account that wait at the same time into one
/// statement (``Store/insertMachine(_:change:ifStill:seatLimit:)``, ``MachineBatchInsertMigration``).
///
/// An account's activations are serialized by PostgreSQL anyway (each locks the account's row to
/// chain its audit entry and event), so one statement of the account at a time loses no
/// parallelism: while it runs, the inserts that arrive wait, and the next statement takes all of
/// them, up to ``maximum``, in the order they came (the statement gives a license's seats in that
/// order). One waiting alone goes at once, so nothing waits for a batch to fill.
final class MachineInsertBatches: Sendable {
    /// At most this many inserts in one statement.
    static let maximum = 64

    private struct Waiting: Sendable {
        /// The insert's item of `tollgate_insert_machines`' array, as JSON.
        let item: String
        let continuation: CheckedContinuation<String, any Error>
    }

    private struct Queue: Sendable {
        var waiting: [Waiting] = []
    }

    /// The waiting inserts of each account whose statements are running; an account without an
    /// entry has none running.
    private let queues = Mutex<[String: Queue]>([:])

    /// The outcome of `item` (JSON: an item of `tollgate_insert_machines`' array), an insert of
    /// `account`, once a statement of `run` has answered it. `run` takes a batch and answers one
    /// outcome per item, in order; the first caller of an idle account's inserts starts a task
    /// that runs batches until none wait.
    func insert(_ item: String, account: String, run: @escaping @Sendable ([String]) async throws -> [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let starts = queues.withLock { queues -> Bool in
                let idle = queues[account] == nil
                queues[account, default: Queue()].waiting.append(Waiting(item: item, continuation: continuation))
                return idle
            }
            if starts { Task { await self.drain(account, run: run) } }
        }
    }

    private func drain(_ account: String, run: @Sendable ([String]) async throws -> [String]) async {
        while let batch = next(of: account) {
            do {
                let outcomes = try await run(batch.map(\.item))
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// The next batch of `account`'s waiting inserts, oldest first; `nil`, and the account idle,
    /// when none wait.
    private func next(of account: String) -> [Waiting]? {
        queues.withLock { queues in
            guard let queue = queues[account], !queue.waiting.isEmpty else {
                queues[account] = nil
                return nil
            }
            let batch = Array(queue.waiting.prefix(Self.maximum))
            queues[account] = Queue(waiting: Array(queue.waiting.dropFirst(Self.maximum)))
            return batch
        }
    }
}
