import Foundation
import TollgateDomain
import TollgateFormats

/// The account's event log: one row per change, written in the transaction that makes the
/// change, in a gap-free order per account (`sequence`). What webhooks, notifications and
/// billing will read; users read it as `GET /v1/events`.
public struct EventTable {
    let sql: any SQLExecutor

    /// One change: what happened (`type`, such as `license.suspended`), to which object, by whom,
    /// and the object's state after it (JSON, as the API shows the object).
    public struct Event: Codable, Sendable, Equatable {
        public var id: String
        public var accountId: String
        public var sequence: Int64
        public var type: String
        public var objectType: String
        public var objectId: String
        public var actor: String
        public var data: JSONValue?
        public var occurredAt: Date
    }

    /// A page of `accountId`'s events in log order, after the sequence `page.after` (or
    /// `after`), optionally of one `type` (or of every type with a `prefix.`) and one object.
    /// Event `sequence` of `accountId`.
    public func find(accountId: String, sequence: Int64) async throws -> Event? {
        try await sql.queryOne("SELECT * FROM events WHERE account_id = ? AND sequence = ?", [.text(accountId), .integer(sequence)]).flatMap(Self.event)
    }

    public func list(accountId: String, type: String?, objectId: String?, after: Int64?, page: PageRequest) async throws -> Page<Event> {
        var clauses = ["account_id = ?"]
        var arguments: [SQLValue] = [.text(accountId)]
        if let type {
            if type.hasSuffix(".*") {
                // A plain comparison of the type's start: with LIKE, `_` would match any character.
                let prefix = String(type.dropLast())
                // (The length is written in: PostgreSQL's substr takes an integer, not a bigint parameter.)
                clauses.append("substr(type, 1, \(prefix.count)) = ?")
                arguments.append(.text(prefix))
            } else {
                clauses.append("type = ?")
                arguments.append(.text(type))
            }
        }
        if let objectId {
            clauses.append("object_id = ?")
            arguments.append(.text(objectId))
        }
        if let start = page.after.flatMap(Int64.init) ?? after {
            clauses.append("sequence > ?")
            arguments.append(.integer(start))
        }
        arguments.append(.integer(Int64(page.limit + 1)))
        var events = try await sql.query(
            "SELECT * FROM events WHERE \(clauses.joined(separator: " AND ")) ORDER BY sequence LIMIT ?", arguments
        ).compactMap(Self.event)
        var next: String?
        if events.count > page.limit {
            events.removeLast()
            next = events.last.map { String($0.sequence) }
        }
        return Page(items: events, nextCursor: next)
    }

    /// How many events `accountId` has.
    public func count(accountId: String) async throws -> Int {
        Int(try await sql.queryOne("SELECT COUNT(*) AS n FROM events WHERE account_id = ?", [.text(accountId)])?.int("n") ?? 0)
    }

    static func event(_ row: SQLRow) -> Event? {
        guard let accountId = row.string("account_id"), let sequence = row.int("sequence"), let id = row.string("id"),
            let type = row.string("type"), let objectType = row.string("object_type"), let objectId = row.string("object_id"),
            let actor = row.string("actor"), let occurred = row.int("occurred_at")
        else { return nil }
        let data = row.string("data").flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        return Event(
            id: id, accountId: accountId, sequence: sequence, type: type, objectType: objectType, objectId: objectId, actor: actor, data: data,
            occurredAt: Date(epochMilliseconds: occurred))
    }
}
