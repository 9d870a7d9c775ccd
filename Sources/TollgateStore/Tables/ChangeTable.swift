import Foundation
import TollgateDomain
import TollgateFormats

/// Where a change leaves its trace, in the transaction that makes it: entries of the account's
/// hash-chained audit log and events of its event log.
///
/// Both logs are ordered per account, so appends of one account are serialized — but only here,
/// at the end of the transaction, not for all of it: the first statement moves both sequences on
/// the account's row (`UPDATE … RETURNING`), which locks that row until the transaction ends, and
/// returns the chain head to append after. On PostgreSQL the entries, the events and the new head
/// then go in one more statement, so a change holds its account for two round trips and its commit
/// (measured: `scripts/bench/activation`, BENCHMARKS.md). Transactions of one account that touch
/// different licenses run side by side until they get here.
public struct ChangeTable {
    let sql: any SQLExecutor

    /// An audit entry before the chain fields (sequence, hashes) are set.
    public struct AuditDraft: Sendable {
        public var actor: String
        public var action: String
        public var objectType: String
        public var objectId: String
        public var beforeDigest: String?
        public var afterDigest: String?

        public init(actor: String, action: String, objectType: String, objectId: String, beforeDigest: String?, afterDigest: String?) {
            self.actor = actor
            self.action = action
            self.objectType = objectType
            self.objectId = objectId
            self.beforeDigest = beforeDigest
            self.afterDigest = afterDigest
        }
    }

    /// Changes of at most this many rows go in one statement on PostgreSQL.
    static let rowsInOneStatement = 100
    /// Larger ones (a sweep's batch) insert this many rows per statement (PostgreSQL takes at most
    /// 65,535 parameters, SQLite 32,766: 500 audit rows are 6,000).
    static let rowsPerStatement = 500

    /// Appends `audit` to the account's chain and `events` to its event log, in order.
    @discardableResult
    public func record(accountId: String, audit: [AuditDraft], events: [EventTable.Draft], at now: Date) async throws -> [AuditEvent] {
        guard !audit.isEmpty || !events.isEmpty else { return [] }
        if sql.dialect == .postgresql, audit.count == 1, events.count <= 1 {
            return [try await recordOne(accountId: accountId, audit[0], event: events.first, at: now)]
        }
        guard
            let row = try await sql.queryOne(
                """
                UPDATE accounts SET audit_sequence = audit_sequence + ?, event_sequence = event_sequence + ? WHERE id = ?
                RETURNING audit_sequence, audit_head, event_sequence
                """,
                [.integer(Int64(audit.count)), .integer(Int64(events.count)), .text(accountId)]),
            let auditSequence = row.int("audit_sequence"), let head = row.string("audit_head"), let eventSequence = row.int("event_sequence")
        else { throw TollgateError.notFound(resource: "account", id: accountId) }

        var previous: (sequence: Int64, hash: String)? = auditSequence - Int64(audit.count) == 0 ? nil : (auditSequence - Int64(audit.count), head)
        let auditIds = Identifier.make(.auditEvent, at: Array(repeating: now, count: audit.count))
        let entries = zip(audit, auditIds).map { draft, id in
            let entry = AuditChain.append(
                after: previous, id: id, accountId: accountId, actor: draft.actor, action: draft.action, objectType: draft.objectType,
                objectId: draft.objectId, beforeDigest: draft.beforeDigest, afterDigest: draft.afterDigest, at: now)
            previous = (entry.sequence, entry.hash)
            return entry
        }
        let eventIds = Identifier.make(.event, at: Array(repeating: now, count: events.count))
        let firstEvent = eventSequence - Int64(events.count) + 1
        let eventRows: [[SQLValue]] = events.enumerated().map { offset, draft in
            [
                .text(accountId), .integer(firstEvent + Int64(offset)), .text(eventIds[offset]), .text(draft.type), .text(draft.objectType),
                .text(draft.objectId), .text(draft.actor), .text(draft.data), .integer(now.epochMilliseconds),
            ]
        }
        let auditRows = entries.map(Self.values)
        let newHead: [SQLValue] = [.text(previous?.hash ?? head), .text(accountId)]

        if sql.dialect == .postgresql, auditRows.count + eventRows.count <= Self.rowsInOneStatement {
            // One statement: data-modifying CTEs, then the head.
            var parts: [String] = []
            var arguments: [SQLValue] = []
            if !auditRows.isEmpty {
                parts.append("a AS (\(Self.insertAudit(count: auditRows.count)))")
                arguments += auditRows.flatMap { $0 }
            }
            if !eventRows.isEmpty {
                parts.append("e AS (\(Self.insertEvents(count: eventRows.count)))")
                arguments += eventRows.flatMap { $0 }
            }
            try await sql.execute("WITH \(parts.joined(separator: ", ")) UPDATE accounts SET audit_head = ? WHERE id = ?", arguments + newHead)
            return entries
        }
        for start in stride(from: 0, to: auditRows.count, by: Self.rowsPerStatement) {
            let chunk = auditRows[start..<min(start + Self.rowsPerStatement, auditRows.count)]
            try await sql.execute(Self.insertAudit(count: chunk.count), chunk.flatMap { $0 })
        }
        for start in stride(from: 0, to: eventRows.count, by: Self.rowsPerStatement) {
            let chunk = eventRows[start..<min(start + Self.rowsPerStatement, eventRows.count)]
            try await sql.execute(Self.insertEvents(count: chunk.count), chunk.flatMap { $0 })
        }
        if !entries.isEmpty { try await sql.execute("UPDATE accounts SET audit_head = ? WHERE id = ?", newHead) }
        return entries
    }

    /// One change (the common case) on PostgreSQL in one statement: the `UPDATE` of the account's
    /// row moves both sequences and computes the entry's hash in SQL (`sha256` over the canonical
    /// text of ``AuditChain/canonicalText(around:)`` with the sequence and the previous hash put in),
    /// keeping the replaced head in `audit_previous`; the entry and the event are inserted from what
    /// it returns. The account's row is locked from this statement to the commit: one round trip.
    func recordOne(accountId: String, _ draft: AuditDraft, event: EventTable.Draft?, at now: Date) async throws -> AuditEvent {
        let millis = now.epochMilliseconds
        // The entry without its chain fields (sequence, previous hash and hash come from the SQL).
        var entry = AuditEvent(
            id: Identifier.make(.auditEvent, at: now), accountId: accountId, sequence: 0, actor: draft.actor, action: draft.action,
            objectType: draft.objectType, objectId: draft.objectId, beforeDigest: draft.beforeDigest, afterDigest: draft.afterDigest,
            occurredAt: Date(epochMilliseconds: millis), previousHash: "", hash: "")
        let id = entry.id
        let (head, middle) = AuditChain.canonicalText(around: entry)
        var arguments: [SQLValue] = [.integer(event == nil ? 0 : 1), .text(head), .text(middle), .text(accountId)]
        var parts = [
            """
            acc AS (
              UPDATE accounts SET audit_sequence = audit_sequence + 1, event_sequence = event_sequence + $1, audit_previous = audit_head,
                audit_head = encode(sha256(convert_to($2 || octet_length((audit_sequence + 1)::text) || ':' || (audit_sequence + 1)::text
                  || $3 || octet_length(audit_head) || ':' || audit_head, 'UTF8')), 'hex')
              WHERE id = $4 RETURNING audit_sequence, audit_previous, audit_head, event_sequence)
            """,
            """
            a AS (
              INSERT INTO audit_events (account_id, sequence, id, actor, action, object_type, object_id, before_digest, after_digest,
                occurred_at, previous_hash, hash)
              SELECT $4, audit_sequence, $5, $6, $7, $8, $9, $10, $11, $12, audit_previous, audit_head FROM acc)
            """,
        ]
        arguments += [
            .text(id), .text(draft.actor), .text(draft.action), .text(draft.objectType), .text(draft.objectId), .text(draft.beforeDigest),
            .text(draft.afterDigest), .integer(millis),
        ]
        if let event {
            parts.append(
                """
                e AS (
                  INSERT INTO events (account_id, sequence, id, type, object_type, object_id, actor, data, occurred_at)
                  SELECT $4, event_sequence, $13, $14, $15, $16, $17, $18, $12 FROM acc)
                """)
            arguments += [
                .text(Identifier.make(.event, at: now)), .text(event.type), .text(event.objectType), .text(event.objectId), .text(event.actor),
                .text(event.data),
            ]
        }
        guard
            let row = try await sql.queryOne("WITH \(parts.joined(separator: ", ")) SELECT audit_sequence, audit_previous, audit_head FROM acc", arguments),
            let sequence = row.int("audit_sequence"), let previous = row.string("audit_previous"), let hash = row.string("audit_head")
        else { throw TollgateError.notFound(resource: "account", id: accountId) }
        (entry.sequence, entry.previousHash, entry.hash) = (sequence, previous, hash)
        return entry
    }

    static func insertAudit(count: Int) -> String {
        """
        INSERT INTO audit_events (account_id, sequence, id, actor, action, object_type, object_id, before_digest,
          after_digest, occurred_at, previous_hash, hash) VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))
        """
    }

    static func insertEvents(count: Int) -> String {
        "INSERT INTO events (account_id, sequence, id, type, object_type, object_id, actor, data, occurred_at) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
    }

    static func values(_ event: AuditEvent) -> [SQLValue] {
        [
            .text(event.accountId), .integer(event.sequence), .text(event.id), .text(event.actor), .text(event.action),
            .text(event.objectType), .text(event.objectId), .text(event.beforeDigest), .text(event.afterDigest),
            .integer(event.occurredAt.epochMilliseconds), .text(event.previousHash), .text(event.hash),
        ]
    }
}
