import Foundation
import Synchronization
import TollgateCore

/// The signing keys in memory, backed by a ``KeyStore``. Reads are lock-protected snapshots,
/// so the validation path never waits on I/O.
final class KeyService: Sendable {
    private let ring: Mutex<KeyRing>
    private let store: any KeyStore
    private let lastReload = Mutex<ContinuousClock.Instant?>(nil)
    /// The shortest time between two reloads caused by misses.
    private let reloadInterval: Duration = .seconds(5)

    init(store: any KeyStore) throws {
        self.store = store
        self.ring = Mutex(KeyRing(keys: try store.load()))
    }

    /// The current keys.
    var snapshot: KeyRing { ring.withLock { $0 } }

    /// The key that signs for `accountId`.
    func current(accountId: String) throws(TollgateError) -> SigningKey {
        if let key = ring.withLock({ $0.current(accountId: accountId) }) { return key }
        reloadAfterMiss()
        guard let key = ring.withLock({ $0.current(accountId: accountId) }) else {
            throw .unavailable(message: "The account has no live signing key.")
        }
        return key
    }

    /// The live public key with `id`.
    func verificationKey(id: String) -> VerificationKey? {
        if let key = ring.withLock({ $0.verificationKey(id: id) }) { return key }
        reloadAfterMiss()
        return ring.withLock { $0.verificationKey(id: id) }
    }

    /// Rereads the key store after a miss: another process (`tollgate accounts create`) may have
    /// added keys. Throttled, so that keys naming unknown key ids cannot make every request read files.
    private func reloadAfterMiss() {
        let now = ContinuousClock.now
        let due = lastReload.withLock { last -> Bool in
            if let last, now - last < reloadInterval { return false }
            last = now
            return true
        }
        guard due, let keys = try? store.load() else { return }
        ring.withLock { ring in
            for key in keys {
                if let index = ring.keys.firstIndex(where: { $0.id == key.id }) {
                    if ring.keys[index].retiredAt == nil, key.retiredAt != nil { try? ring.replace(key, at: index) }
                } else {
                    try? ring.add(key)
                }
            }
        }
    }

    /// Makes, stores and adds a new key for `accountId`; it signs from now on.
    /// Changes happen under the lock, file write included, so concurrent rotations serialize.
    @discardableResult
    func rotate(accountId: String, now: Date) throws -> SigningKey {
        try ring.withLock { ring throws -> SigningKey in
            // The newest key signs, so a new key must be strictly newer than every other of the
            // account, even when the clock has not moved a whole second (stored times have seconds).
            let newest = ring.all(accountId: accountId).map(\.createdAt).max()
            let createdAt = newest.map { max(now, $0.addingTimeInterval(1)) } ?? now
            let stamp = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.up))
            var key = SigningKey.generate(accountId: accountId, now: stamp)
            while ring.keys.contains(where: { $0.id == key.id }) { key = SigningKey.generate(accountId: accountId, now: stamp) }
            var next = ring
            try next.add(key)
            try store.save(key)
            ring = next
            return key
        }
    }

    /// Retires key `id` of `accountId`: it neither signs nor verifies any more.
    func retire(id: String, accountId: String, now: Date) throws -> SigningKey {
        try ring.withLock { ring throws -> SigningKey in
            var next = ring
            let retired = try next.retire(id: id, accountId: accountId, at: now)
            try store.save(retired)
            ring = next
            return retired
        }
    }
}
