import Foundation
import TollgateCore

/// Responses to requests that carried an `Idempotency-Key`, kept so that a retry gets the
/// same answer instead of a second change.
public struct IdempotencyTable {
    let sql: any SQLExecutor

    /// A stored response.
    public struct Saved: Sendable, Equatable {
        public var requestHash: String
        public var status: Int
        public var body: String

        public init(requestHash: String, status: Int, body: String) {
            self.requestHash = requestHash
            self.status = status
            self.body = body
        }
    }

    public func find(accountId: String, key: String) throws -> Saved? {
        guard let row = try sql.queryOne(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE account_id = ? AND idempotency_key = ?",
            [.text(accountId), .text(key)]),
            let hash = row.string("request_hash"), let status = row.int("status"), let body = row.string("body")
        else { return nil }
        return Saved(requestHash: hash, status: Int(status), body: body)
    }

    public func insert(accountId: String, key: String, saved: Saved, at now: Date) throws {
        try sql.execute(
            "INSERT INTO idempotency_keys (account_id, idempotency_key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(accountId), .text(key), .text(saved.requestHash), .integer(Int64(saved.status)), .text(saved.body),
             .integer(now.epochMilliseconds)])
    }

    /// Forgets responses older than `cutoff` (a retry after a day is a new request).
    public func deleteOlder(than cutoff: Date) throws {
        try sql.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [.integer(cutoff.epochMilliseconds)])
    }
}
