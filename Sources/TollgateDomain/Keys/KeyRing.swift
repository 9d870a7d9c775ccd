import Foundation
import TollgateFormats

/// The signing keys of every account: signs with each account's newest live key and
/// verifies with any live key, so that rotation keeps old licenses verifying until their
/// key is retired.
public struct KeyRing: Sendable {
    public private(set) var keys: [SigningKey]
    private var byId: [String: Int]

    public init(keys: [SigningKey] = []) {
        self.keys = []
        self.byId = [:]
        for key in keys { try? add(key) }
    }

    /// Adds a key; its id must be unused.
    public mutating func add(_ key: SigningKey) throws(TollgateError) {
        guard byId[key.id] == nil else {
            throw .conflict(code: KeyCode.keyIdTaken, message: "A signing key with id '\(key.id)' exists.")
        }
        byId[key.id] = keys.count
        keys.append(key)
    }

    /// Replaces the key at `index` with a newer copy of the same key (same id), e.g. one retired elsewhere.
    public mutating func replace(_ key: SigningKey, at index: Int) throws(TollgateError) {
        guard keys.indices.contains(index), keys[index].id == key.id else {
            throw .conflict(code: KeyCode.keyIdMismatch, message: "Key '\(key.id)' is not at that position.")
        }
        keys[index] = key
    }

    /// Marks a key retired.
    public mutating func retire(id: String, accountId: String, at now: Date) throws(TollgateError) -> SigningKey {
        guard let index = byId[id], keys[index].accountId == accountId else {
            throw .notFound(resource: "signing key", id: id)
        }
        guard keys[index].retiredAt == nil else {
            throw .conflict(code: KeyCode.keyAlreadyRetired, message: "Signing key '\(id)' is already retired.")
        }
        guard current(accountId: accountId)?.id != id || live(accountId: accountId).count > 1 else {
            throw .conflict(code: KeyCode.keyIsLast, message: "Signing key '\(id)' is the account's only live key; rotate first.")
        }
        keys[index].retiredAt = now
        return keys[index]
    }

    /// The key that signs new material for `accountId`: its newest live key.
    public func current(accountId: String) -> SigningKey? {
        live(accountId: accountId).max { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Every live (not retired) key of `accountId`, or of every account when `nil`.
    public func live(accountId: String? = nil) -> [SigningKey] {
        keys.filter { $0.retiredAt == nil && (accountId == nil || $0.accountId == accountId) }
    }

    /// Every key of `accountId`, retired or not.
    public func all(accountId: String) -> [SigningKey] { keys.filter { $0.accountId == accountId } }

    /// The live key with `id`.
    public func verificationKey(id: String) -> VerificationKey? {
        guard let index = byId[id], keys[index].retiredAt == nil else { return nil }
        let key = keys[index]
        return VerificationKey(id: key.id, accountId: key.accountId, publicKey: key.publicKey)
    }

    /// The public keys of the live keys, as a JWKS.
    public func jwks(accountId: String? = nil) -> JWKS {
        JWKS(keys: live(accountId: accountId).map { VerificationKey(id: $0.id, accountId: $0.accountId, publicKey: $0.publicKey) })
    }
}
