import Foundation
import TollgateDomain
import TollgateFormats

/// API tokens, found by the keyed hash of their secret.
public struct TokenTable {
    let sql: any SQLExecutor

    public func insert(_ token: APIToken, secretHash: String) async throws {
        try await sql.execute(
            "INSERT INTO api_tokens (id, account_id, token_hash, created_at, data) VALUES (?, ?, ?, ?, ?)",
            [.text(token.id), .text(token.accountId), .text(secretHash), .integer(token.createdAt.epochMilliseconds),
             .text(try DocumentCoding.encode(token))])
    }

    /// The live token whose secret hashes to `secretHash`.
    public func find(secretHash: String) async throws -> APIToken? {
        guard let row = try await sql.queryOne("SELECT data FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", [.text(secretHash)]),
            let data = row.string("data")
        else { return nil }
        return try DocumentCoding.decode(APIToken.self, from: data)
    }

    /// A live token and when it was last used.
    public struct Listed: Sendable {
        public var token: APIToken
        public var lastUsedAt: Date?
    }

    /// The live token `id` of `accountId`.
    public func find(id: String, accountId: String) async throws -> Listed? {
        try await sql.queryOne(
            "SELECT data, last_used_at FROM api_tokens WHERE id = ? AND account_id = ? AND revoked_at IS NULL", [.text(id), .text(accountId)]
        ).flatMap(Self.listed)
    }

    /// A page of `accountId`'s live tokens, in id order.
    public func list(accountId: String, page: PageRequest) async throws -> Page<Listed> {
        var arguments: [SQLValue] = [.text(accountId)]
        var after = ""
        if let cursor = page.after {
            after = " AND id > ?"
            arguments.append(.text(cursor))
        }
        var items = try await sql.query(
            "SELECT id, data, last_used_at FROM api_tokens WHERE account_id = ? AND revoked_at IS NULL\(after) ORDER BY id LIMIT ?",
            arguments + [.integer(Int64(page.limit + 1))]
        ).compactMap(Self.listed)
        var next: String?
        if items.count > page.limit {
            items.removeLast()
            next = items.last?.token.id
        }
        return Page(items: items, nextCursor: next)
    }

    /// How many live tokens of `accountId` have `role`.
    public func count(accountId: String, role: Role) async throws -> Int {
        // Roles live in the document; an account has few tokens.
        try await sql.query("SELECT data FROM api_tokens WHERE account_id = ? AND revoked_at IS NULL", [.text(accountId)])
            .compactMap { $0.string("data").flatMap { try? DocumentCoding.decode(APIToken.self, from: $0) } }
            .filter { $0.role == role }.count
    }

    /// Revokes the live token `id` of `accountId`; `false` when there is none.
    public func revoke(id: String, accountId: String, at now: Date) async throws -> Bool {
        try await sql.queryOne(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL RETURNING id",
            [.integer(now.epochMilliseconds), .text(id), .text(accountId)]) != nil
    }

    /// Records that the tokens `ids` were used at `now` (never moving a time back).
    public func touch(ids: [String], at now: Date) async throws {
        for id in ids {
            try await sql.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                [.integer(now.epochMilliseconds), .text(id), .integer(now.epochMilliseconds)])
        }
    }

    static func listed(_ row: SQLRow) -> Listed? {
        guard let data = row.string("data"), let token = try? DocumentCoding.decode(APIToken.self, from: data) else { return nil }
        return Listed(token: token, lastUsedAt: row.int("last_used_at").map(Date.init(epochMilliseconds:)))
    }
}
