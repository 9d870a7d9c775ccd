import Foundation
import TollgateDomain
import TollgateFormats

/// The hash-chained audit log. Appends happen inside the transaction of the change they record.
public struct AuditTable {
    let sql: any SQLExecutor

    /// Appends an entry for `actor`'s `action` on `objectType`/`objectId` that is not published
    /// as an event (see ``ChangeTable``).
    public func record<Before: Encodable, After: Encodable>(
        accountId: String, actor: String, action: String, objectType: String, objectId: String,
        before: Before?, after: After?, at now: Date
    ) async throws {
        try await ChangeTable(sql: sql).record(
            accountId: accountId,
            [
                ChangeTable.Change(actor: actor, action: action, objectType: objectType, objectId: objectId, before: before, after: after, publishes: false)
            ], at: now)
    }

    /// A page of entries, newest first when `descending`; the cursor is a sequence number.
    public func list(accountId: String, objectId: String?, page: PageRequest, descending: Bool = true) async throws -> Page<AuditEvent> {
        var clauses = ["account_id = ?"]
        var arguments: [SQLValue] = [.text(accountId)]
        if let objectId {
            clauses.append("object_id = ?")
            arguments.append(.text(objectId))
        }
        if let after = page.after.flatMap(Int64.init) {
            clauses.append(descending ? "sequence < ?" : "sequence > ?")
            arguments.append(.integer(after))
        }
        arguments.append(.integer(Int64(page.limit + 1)))
        var events = try await sql.query(
            "SELECT * FROM audit_events WHERE \(clauses.joined(separator: " AND ")) ORDER BY sequence \(descending ? "DESC" : "ASC") LIMIT ?",
            arguments
        ).compactMap(Self.event)
        var next: String?
        if events.count > page.limit {
            events.removeLast()
            next = events.last.map { String($0.sequence) }
        }
        return Page(items: events, nextCursor: next)
    }

    /// Every entry of the account in chain order.
    public func chain(accountId: String) async throws -> [AuditEvent] {
        try await sql.query("SELECT * FROM audit_events WHERE account_id = ? ORDER BY sequence", [.text(accountId)]).compactMap(Self.event)
    }

    static func event(_ row: SQLRow) -> AuditEvent? {
        guard let accountId = row.string("account_id"), let sequence = row.int("sequence"), let id = row.string("id"),
            let actor = row.string("actor"), let action = row.string("action"), let objectType = row.string("object_type"),
            let objectId = row.string("object_id"), let occurred = row.int("occurred_at"),
            let previous = row.string("previous_hash"), let hash = row.string("hash")
        else { return nil }
        return AuditEvent(
            id: id, accountId: accountId, sequence: sequence, actor: actor, action: action, objectType: objectType,
            objectId: objectId, beforeDigest: row.string("before_digest"), afterDigest: row.string("after_digest"),
            occurredAt: Date(epochMilliseconds: occurred), previousHash: previous, hash: hash)
    }
}
