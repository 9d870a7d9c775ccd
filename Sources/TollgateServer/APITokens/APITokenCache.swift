import Synchronization
import TollgateDomain
import TollgateStore

/// API tokens by the hash of their secret, so that an admin route does not read the database to
/// authenticate every request (measured: that read was most of what a cached quota answer still
/// cost, `scripts/bench/quota`, BENCHMARKS.md).
///
/// An entry holds while its account's write generation has not moved and for at most 2 s, the
/// bound every cache of this server keeps behind other replicas' writes: a token revoked here is
/// refused at once (the revocation is a write of its account), elsewhere within 2 s. Unknown
/// secrets are never remembered, so guessing cannot fill the cache.
final class APITokenCache: Sendable {
    private struct Entry {
        var token: APIToken
        var generation: UInt64
        var readAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity = 10_000
    private let ttl: Duration = .seconds(2)

    /// The live token whose secret hashes to `hash`: remembered, or read by `read`.
    func token(hash: String, store: Store, read: () async throws -> APIToken?) async throws -> APIToken? {
        let now = ContinuousClock.now
        let hit = entries.withLock { entries -> APIToken? in
            guard let entry = entries[hash] else { return nil }
            guard entry.generation == store.generation.current(accountId: entry.token.accountId), now - entry.readAt < ttl else {
                entries[hash] = nil
                return nil
            }
            return entry.token
        }
        if let hit { return hit }
        guard let token = try await read() else { return nil }
        let generation = store.generation.current(accountId: token.accountId)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = Entry(token: token, generation: generation, readAt: now)
        }
        return token
    }
}
