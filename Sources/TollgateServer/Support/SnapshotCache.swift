import Foundation
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Snapshots of stored objects that hot paths (validation, heartbeats) may remember between
/// requests, so that a request costs no database read and no document decodes.
///
/// A snapshot is kept while no write of this process has committed since it was read
/// (``WriteGeneration``) and for at most `ttl`, which bounds staleness against writers in other
/// processes (replicas) well inside the 60-second revocation bound.
///
/// The cache is bounded; when full it is cleared rather than tracked entry by entry. Loads are
/// single-flight per key and generation: when an entry expires under load, one request reads the
/// database and the others wait for it, instead of all of them reading at once.
final class SnapshotCache<Value: Sendable>: Sendable {
    struct Entry: Sendable {
        var value: Value
        var generation: UInt64
        var readAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let loads = Mutex<[String: Task<Value?, any Error>]>([:])
    private let capacity: Int
    private let ttl: Duration

    init(capacity: Int = 100_000, ttl: Duration = .seconds(2)) {
        self.capacity = capacity
        self.ttl = ttl
    }

    func cached(_ key: String, generation: UInt64) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.generation == generation, ContinuousClock.now - entry.readAt < ttl else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Drops `key`'s entry: its value is known to be stale.
    func forget(_ key: String) {
        entries.withLock { $0[key] = nil }
    }

    /// The value of `key`, read by `read` unless cached or being read already for the same
    /// generation. Absent values (`nil`) are not remembered.
    func value(_ key: String, generation: UInt64, read: @escaping @Sendable () async throws -> Value?) async throws -> Value? {
        if let hit = cached(key, generation: generation) { return hit }
        let flight = "\(key)#\(generation)"
        let readAt = ContinuousClock.now
        let task = loads.withLock { loads in
            if let running = loads[flight] { return running }
            let task = Task { try await read() }
            loads[flight] = task
            return task
        }
        defer { loads.withLock { if $0[flight] == task { $0[flight] = nil } } }
        let loaded = try await task.value
        if let loaded {
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[key] = Entry(value: loaded, generation: generation, readAt: readAt)
            }
        }
        return loaded
    }
}
