import Foundation
import TollgateDomain
import TollgateFormats

/// One-time links that let a user set its password, found by the hash of their secret.
public struct InvitationTable {
    let sql: any SQLExecutor

    /// An invitation as stored.
    public struct Invitation: Sendable {
        public var userId: String
        public var accountId: String
        public var expiresAt: Date
        public var usedAt: Date?
    }

    /// Stores an invitation of `userId`, and ends the user's earlier ones: only the newest link works.
    public func insert(tokenHash: String, userId: String, accountId: String, at now: Date, expiresAt: Date) async throws {
        try await sql.execute(
            "UPDATE invitations SET used_at = ? WHERE user_id = ? AND used_at IS NULL", [.integer(now.epochMilliseconds), .text(userId)])
        try await sql.execute(
            "INSERT INTO invitations (token_hash, user_id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [.text(tokenHash), .text(userId), .text(accountId), .integer(now.epochMilliseconds), .integer(expiresAt.epochMilliseconds)])
    }

    /// The invitation whose secret hashes to `tokenHash`, used or not.
    public func find(tokenHash: String) async throws -> Invitation? {
        guard let row = try await sql.queryOne("SELECT user_id, account_id, expires_at, used_at FROM invitations WHERE token_hash = ?", [.text(tokenHash)]),
            let userId = row.string("user_id"), let accountId = row.string("account_id"), let expiresAt = row.int("expires_at")
        else { return nil }
        return Invitation(
            userId: userId, accountId: accountId, expiresAt: Date(epochMilliseconds: expiresAt), usedAt: row.int("used_at").map(Date.init(epochMilliseconds:)))
    }

    /// Marks the invitation used, if it still was not: `false` when another request took it first.
    public func take(tokenHash: String, at now: Date) async throws -> Bool {
        try await sql.queryOne(
            "UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
            [.integer(now.epochMilliseconds), .text(tokenHash), .integer(now.epochMilliseconds)]) != nil
    }

    /// Ends every open invitation of `userId`.
    public func end(userId: String, at now: Date) async throws {
        try await sql.execute(
            "UPDATE invitations SET used_at = ? WHERE user_id = ? AND used_at IS NULL", [.integer(now.epochMilliseconds), .text(userId)])
    }
}
