import Foundation
import TollgateDomain
import TollgateFormats

/// Portal sessions, found by the hash of their cookie, and the failed sign-ins that throttle new ones.
public struct WebSessionTable {
    let sql: any SQLExecutor

    /// A session as stored.
    public struct Session: Sendable, Equatable {
        public var userId: String
        public var accountId: String
        /// What the sign-in still needs (`code`, `enroll`) or `done`.
        public var stage: String
        /// The token every form of the session carries.
        public var csrf: String
        public var expiresAt: Date

        public init(userId: String, accountId: String, stage: String, csrf: String, expiresAt: Date) {
            self.userId = userId
            self.accountId = accountId
            self.stage = stage
            self.csrf = csrf
            self.expiresAt = expiresAt
        }
    }

    public func insert(tokenHash: String, _ session: Session, at now: Date) async throws {
        try await sql.execute(
            "INSERT INTO web_sessions (token_hash, user_id, account_id, stage, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(tokenHash), .text(session.userId), .text(session.accountId), .text(session.stage), .text(session.csrf),
             .integer(now.epochMilliseconds), .integer(session.expiresAt.epochMilliseconds)])
    }

    /// The session whose cookie hashes to `tokenHash`, unless it has expired at `now`.
    public func find(tokenHash: String, at now: Date) async throws -> Session? {
        guard
            let row = try await sql.queryOne(
                "SELECT user_id, account_id, stage, csrf, expires_at FROM web_sessions WHERE token_hash = ? AND expires_at > ?",
                [.text(tokenHash), .integer(now.epochMilliseconds)]),
            let userId = row.string("user_id"), let accountId = row.string("account_id"), let stage = row.string("stage"),
            let csrf = row.string("csrf"), let expiresAt = row.int("expires_at")
        else { return nil }
        return Session(userId: userId, accountId: accountId, stage: stage, csrf: csrf, expiresAt: Date(epochMilliseconds: expiresAt))
    }

    /// Moves the session to `stage`.
    public func advance(tokenHash: String, to stage: String) async throws {
        try await sql.execute("UPDATE web_sessions SET stage = ? WHERE token_hash = ?", [.text(stage), .text(tokenHash)])
    }

    /// Ends one session.
    public func delete(tokenHash: String) async throws {
        try await sql.execute("DELETE FROM web_sessions WHERE token_hash = ?", [.text(tokenHash)])
    }

    /// Ends every session of `userId` (sign-out everywhere, a disabled user, a new password).
    public func deleteAll(userId: String) async throws {
        try await sql.execute("DELETE FROM web_sessions WHERE user_id = ?", [.text(userId)])
    }

    /// Records a failed sign-in under each of `keys` (`user:<id>`, `address:<ip>`).
    public func recordFailure(keys: [String], at now: Date) async throws {
        for key in keys {
            try await sql.execute("INSERT INTO sign_in_failures (throttle_key, at) VALUES (?, ?)", [.text(key), .integer(now.epochMilliseconds)])
        }
    }

    /// How many failures `key` has had since `since`.
    public func failures(key: String, since: Date) async throws -> Int {
        let row = try await sql.queryOne(
            "SELECT COUNT(*) AS n FROM sign_in_failures WHERE throttle_key = ? AND at > ?", [.text(key), .integer(since.epochMilliseconds)])
        return Int(row?.int("n") ?? 0)
    }

    /// Forgets `key`'s failures (a user who signed in).
    public func clearFailures(key: String) async throws {
        try await sql.execute("DELETE FROM sign_in_failures WHERE throttle_key = ?", [.text(key)])
    }

    /// Drops what is past its time: expired sessions and failures older than `failuresBefore`.
    public func prune(at now: Date, failuresBefore: Date) async throws {
        try await sql.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [.integer(now.epochMilliseconds)])
        try await sql.execute("DELETE FROM sign_in_failures WHERE at <= ?", [.integer(failuresBefore.epochMilliseconds)])
    }
}
