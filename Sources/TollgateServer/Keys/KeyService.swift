import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The accounts' signing keys: kept in the database, sealed under the ``KeyEncryptionKey``, and
/// held open in memory for signing and verifying, so the hot paths never wait on I/O.
///
/// Rotation and retirement write the database inside the caller's write transaction (with the
/// change's audit entry and event), then ``adopt(_:)`` the result once it committed. On
/// PostgreSQL every change of the keys is announced when it commits, and every other replica
/// rereads the table when it hears it (``StoreService``). Besides, every replica rereads the table
/// every ``refreshInterval`` (this service's run loop: the bound should an announcement be lost)
/// and on a miss (a key id or an account it does not know): an unknown key id at most every
/// ``minimumReloadGap``.
final class KeyService: Service, Sendable {
    private let ring: Mutex<KeyRing>
    private let store: Store
    let sealer: KeyEncryptionKey
    private let logger: Logger
    private let reloads = AsyncGate()
    private let lastReload = Mutex<ContinuousClock.Instant>(.now)
    /// Keys that could not be opened, reported once each.
    private let unopenable = Mutex<Set<String>>([])
    static let refreshInterval: Duration = .seconds(2)
    static let minimumReloadGap: Duration = .milliseconds(250)

    private init(store: Store, sealer: KeyEncryptionKey, keys: [SigningKey], logger: Logger) {
        self.store = store
        self.sealer = sealer
        self.logger = logger
        self.ring = Mutex(KeyRing(keys: keys))
    }

    /// Opens every key in `store`. Throws a ``ConfigurationError`` naming the key-encryption key's
    /// setting when one was sealed under another key.
    static func open(store: Store, sealer: KeyEncryptionKey, logger: Logger) async throws -> KeyService {
        let service = unloaded(store: store, sealer: sealer, logger: logger)
        try await service.load()
        return service
    }

    /// A service that holds no key until ``load()`` (a server's start, once the store is migrated).
    static func unloaded(store: Store, sealer: KeyEncryptionKey, logger: Logger) -> KeyService {
        KeyService(store: store, sealer: sealer, keys: [], logger: logger)
    }

    /// Opens every key in the store, or throws as ``open(store:sealer:logger:)`` does.
    func load() async throws {
        let rows = try await store.read { try await $0.signingKeys.all() }
        let keys = try rows.map(sealer.open)
        ring.withLock { $0 = KeyRing(keys: keys) }
    }

    /// The current keys.
    var snapshot: KeyRing { ring.withLock { $0 } }

    /// The key that signs for `accountId`, rereading the table once if this replica has none.
    func current(accountId: String) async throws(TollgateError) -> SigningKey {
        if let key = ring.withLock({ $0.current(accountId: accountId) }) { return key }
        // The caller's account exists (it authenticated), so its key may be newer than this copy:
        // read the table once more, or share a read that began after this call.
        await reload()
        return try loaded(accountId: accountId)
    }

    /// The key that signs for `accountId`, as loaded (inside a transaction, which cannot wait).
    func loaded(accountId: String) throws(TollgateError) -> SigningKey {
        guard let key = ring.withLock({ $0.current(accountId: accountId) }) else {
            throw .unavailable(message: "The account has no live signing key.")
        }
        return key
    }

    /// The live public key with `id`, as loaded.
    func verificationKey(id: String) -> VerificationKey? {
        ring.withLock { $0.verificationKey(id: id) }
    }

    /// Whether this replica knows key `id` (live or retired).
    func knows(id: String) -> Bool { ring.withLock { $0.keys.contains { $0.id == id } } }

    /// Rereads the table in a read that begins after this call; callers waiting together share
    /// one. With a `gap`, that read begins no sooner than `gap` after the previous one began, so
    /// that misses (unknown key ids, which anyone can send) cost at most one read per gap.
    ///
    /// A read that began before this call never answers it, however recent: it may have begun just
    /// before another replica committed the key this caller needs (a key rotated there, a license
    /// signed with it at once and presented here).
    func reload(spacedBy gap: Duration = .zero) async {
        let asked = ContinuousClock.now
        await reloads.exclusively {
            let previous = lastReload.withLock { $0 }
            // A read that began after `asked` saw everything this caller needs.
            guard previous <= asked else { return }
            if gap > .zero, previous + gap > .now { try? await Task.sleep(until: previous + gap) }
            let started = ContinuousClock.now
            do {
                let rows = try await store.read { try await $0.signingKeys.all() }
                var keys: [SigningKey] = []
                for row in rows {
                    do {
                        keys.append(try sealer.open(row))
                    } catch {
                        if unopenable.withLock({ $0.insert(row.id).inserted }) {
                            logger.error("Signing key cannot be opened; it is ignored", metadata: ["kid": "\(row.id)", "error": "\(error)"])
                        }
                    }
                }
                ring.withLock { $0 = KeyRing(keys: keys) }
                lastReload.withLock { $0 = started }
            } catch {
                logger.warning("Signing keys not reread; will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Makes a new key for `accountId` and stores it in `session`'s transaction; it signs once
    /// ``adopt(_:)`` has it. It is strictly newer than the account's newest key (the newest signs).
    func rotate(accountId: String, now: Date, session: StoreSession) async throws -> SigningKey {
        // Stored times keep whole seconds in exports: a new key is at least a second newer.
        let newest = try await session.signingKeys.newest(accountId: accountId)
        let createdAt = newest.map { max(now, $0.addingTimeInterval(1)) } ?? now
        let stamp = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.up))
        while true {
            let key = SigningKey.generate(accountId: accountId, now: stamp)
            if try await session.signingKeys.insert(try sealer.seal(key)) { return key }
        }
    }

    /// Retires key `id` of `accountId` in `session`'s transaction, judged against the stored keys
    /// (not this replica's copy); it stops verifying here once ``adopt(_:)`` has it.
    func retire(id: String, accountId: String, now: Date, session: StoreSession) async throws -> (retired: SigningKey, current: SigningKey?) {
        var stored = KeyRing(keys: try await session.signingKeys.all().filter { $0.accountId == accountId }.map(sealer.open))
        let retired = try stored.retire(id: id, accountId: accountId, at: now)
        try await session.signingKeys.retire(id: id, accountId: accountId, at: now)
        return (retired, stored.current(accountId: accountId))
    }

    /// Takes `key` (new, or changed) into this replica's keys, after its transaction committed.
    func adopt(_ key: SigningKey) {
        ring.withLock { ring in
            if let index = ring.keys.firstIndex(where: { $0.id == key.id }) {
                try? ring.replace(key, at: index)
            } else {
                try? ring.add(key)
            }
        }
    }

    func run() async throws {
        await repeatUntilShutdown(every: Self.refreshInterval) { await reload() }
    }
}
