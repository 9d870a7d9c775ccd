import Foundation
import TollgateDomain
import TollgateFormats

/// The accounts' private signing keys, sealed: the store keeps only ciphertext (the server seals
/// and opens it under the key-encryption key), so every replica of one database signs with the
/// same keys and a rotation or retirement reaches all of them: every change of the table is
/// announced (``ChangeTopic/keys``), and replicas reread the keys when they hear it.
public struct SigningKeyTable {
    let sql: any SQLExecutor

    /// A key as stored: its public facts in clear, the private key sealed.
    public struct Row: Sendable, Equatable {
        public var id: String
        public var accountId: String
        public var createdAt: Date
        public var retiredAt: Date?
        /// The private key, sealed (AES-256-GCM, base64 of nonce, ciphertext and tag).
        public var sealed: String

        public init(id: String, accountId: String, createdAt: Date, retiredAt: Date?, sealed: String) {
            self.id = id
            self.accountId = accountId
            self.createdAt = createdAt
            self.retiredAt = retiredAt
            self.sealed = sealed
        }
    }

    /// Adds `row`; returns `false` (and changes nothing) when a key with its id exists.
    @discardableResult
    public func insert(_ row: Row) async throws -> Bool {
        let inserted = try await !sql.query(
            "INSERT INTO signing_keys (id, account_id, created_at, retired_at, sealed) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            [.text(row.id), .text(row.accountId), .integer(row.createdAt.epochMilliseconds), .integer(row.retiredAt?.epochMilliseconds), .text(row.sealed)]
        ).isEmpty
        if inserted { try await sql.announce(.keys) }
        return inserted
    }

    /// Marks key `id` of `accountId` retired at `at`; returns `false` when there is no such key.
    @discardableResult
    public func retire(id: String, accountId: String, at: Date) async throws -> Bool {
        let retired = try await !sql.query(
            "UPDATE signing_keys SET retired_at = ? WHERE id = ? AND account_id = ? RETURNING id",
            [.integer(at.epochMilliseconds), .text(id), .text(accountId)]
        ).isEmpty
        if retired { try await sql.announce(.keys) }
        return retired
    }

    /// Every key, oldest first.
    public func all() async throws -> [Row] {
        try await sql.query("SELECT * FROM signing_keys ORDER BY created_at, id", []).compactMap { row in
            guard let id = row.string("id"), let accountId = row.string("account_id"), let created = row.int("created_at"),
                let sealed = row.string("sealed")
            else { return nil }
            return Row(
                id: id, accountId: accountId, createdAt: Date(epochMilliseconds: created), retiredAt: row.int("retired_at").map(Date.init(epochMilliseconds:)),
                sealed: sealed)
        }
    }

    /// The creation time of `accountId`'s newest key.
    public func newest(accountId: String) async throws -> Date? {
        try await sql.queryOne("SELECT MAX(created_at) AS newest FROM signing_keys WHERE account_id = ?", [.text(accountId)])?.int("newest")
            .map(Date.init(epochMilliseconds:))
    }
}
