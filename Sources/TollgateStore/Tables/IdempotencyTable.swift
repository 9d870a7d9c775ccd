import Foundation
import TollgateDomain
import TollgateFormats

/// Answers to requests that carried an `Idempotency-Key`, kept so that a retry gets the same
/// answer instead of a second change.
///
/// A record belongs to one caller and one route (``Scope``): the same key sent by another
/// credential, or to another route, is another record, so a replay only ever returns an answer
/// to the principal whose request produced it.
public struct IdempotencyTable {
    let sql: any SQLExecutor

    /// Whose key it is and where it was sent.
    public struct Scope: Sendable, Hashable {
        public var accountId: String
        /// The credential: an API token id, `license:<id>` or `machine:<id>`.
        public var principal: String
        /// Method and path, e.g. `POST /v1/licenses/lic_…/actions/renew`.
        public var route: String
        public var key: String

        public init(accountId: String, principal: String, route: String, key: String) {
            self.accountId = accountId
            self.principal = principal
            self.route = route
            self.key = key
        }

        var arguments: [SQLValue] { [.text(accountId), .text(principal), .text(route), .text(key)] }
    }

    /// A stored answer. `complete` is false while a change has committed but its answer (finished
    /// outside the change's transaction: encoded, and for an activation a signed token) is not yet
    /// stored; `body` then holds the change's result.
    public struct Saved: Sendable, Equatable {
        public var requestHash: String
        public var status: Int
        public var body: String
        public var complete: Bool

        public init(requestHash: String, status: Int, body: String, complete: Bool = true) {
            self.requestHash = requestHash
            self.status = status
            self.body = body
            self.complete = complete
        }
    }

    static let match = "account_id = ? AND principal = ? AND route = ? AND idempotency_key = ?"

    public func find(_ scope: Scope) async throws -> Saved? {
        guard let row = try await sql.queryOne("SELECT request_hash, status, body, complete FROM idempotency_keys WHERE \(Self.match)", scope.arguments),
            let hash = row.string("request_hash"), let status = row.int("status"), let body = row.string("body"), let complete = row.int("complete")
        else { return nil }
        return Saved(requestHash: hash, status: Int(status), body: body, complete: complete != 0)
    }

    /// Stores the answer of `scope`'s first request. Throws ``StoreError/duplicate(_:)`` when a
    /// concurrent request with the same scope stored one first.
    public func insert(_ scope: Scope, saved: Saved, at now: Date) async throws {
        try await sql.execute(
            """
            INSERT INTO idempotency_keys (account_id, principal, route, idempotency_key, request_hash, status, body, complete, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            scope.arguments + [.text(saved.requestHash), .integer(Int64(saved.status)), .text(saved.body), .integer(saved.complete ? 1 : 0),
                               .integer(now.epochMilliseconds)])
    }

    /// Finishes a record with its answer, unless another request finished it first; returns the
    /// record as it now stands (so every request of the scope answers the same).
    public func complete(_ scope: Scope, status: Int, body: String) async throws -> Saved? {
        try await sql.execute(
            "UPDATE idempotency_keys SET status = ?, body = ?, complete = 1 WHERE \(Self.match) AND complete = 0",
            [.integer(Int64(status)), .text(body)] + scope.arguments)
        return try await find(scope)
    }

    /// Forgets answers older than `cutoff` (a retry after a day is a new request).
    public func deleteOlder(than cutoff: Date) async throws {
        try await sql.execute("DELETE FROM idempotency_keys WHERE created_at < ?", [.integer(cutoff.epochMilliseconds)])
    }
}
