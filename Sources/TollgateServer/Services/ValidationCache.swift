import Foundation
import Synchronization
import TollgateCore
import TollgateStore

/// License snapshots that validation may remember between requests, so that a hot path costs
/// one signature (of the answer) rather than a database read and two document decodes.
///
/// A snapshot (a license, its policy and its machines' fingerprints) is kept while no write of
/// this process has committed since it was read (``WriteGeneration``) and for at most `ttl`,
/// which bounds staleness against writers in other processes.
///
/// The cache is bounded; when full it is cleared rather than tracked entry by entry. Loads are
/// single-flight per license and generation: when an entry expires under load, one request
/// reads the database and the others wait for it, instead of all of them reading at once.
final class ValidationCache: Sendable {
    struct Snapshot: Sendable {
        var license: License
        var policy: Policy
        var fingerprints: Set<String>
        var generation: UInt64
        var readAt: ContinuousClock.Instant
    }

    private let snapshots = Mutex<[String: Snapshot]>([:])
    private let loads = Mutex<[String: Task<Snapshot?, any Error>]>([:])
    private let capacity: Int
    private let ttl: Duration

    init(capacity: Int = 100_000, ttl: Duration = .seconds(2)) {
        self.capacity = capacity
        self.ttl = ttl
    }

    func snapshot(licenseId: String, generation: UInt64) -> Snapshot? {
        snapshots.withLock { entries in
            guard let entry = entries[licenseId] else { return nil }
            guard entry.generation == generation, ContinuousClock.now - entry.readAt < ttl else {
                entries[licenseId] = nil
                return nil
            }
            return entry
        }
    }

    /// The snapshot of `licenseId`, read by `read` unless cached or being read already for the
    /// same generation.
    func snapshot(
        licenseId: String, generation: UInt64, read: @escaping @Sendable () async throws -> Snapshot?
    ) async throws -> Snapshot? {
        if let hit = snapshot(licenseId: licenseId, generation: generation) { return hit }
        let flight = "\(licenseId)#\(generation)"
        let task = loads.withLock { loads in
            if let running = loads[flight] { return running }
            let task = Task { try await read() }
            loads[flight] = task
            return task
        }
        defer { loads.withLock { if $0[flight] == task { $0[flight] = nil } } }
        let loaded = try await task.value
        if let loaded { remember(loaded) }
        return loaded
    }

    func remember(_ snapshot: Snapshot) {
        snapshots.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[snapshot.license.id] = snapshot
        }
    }
}
