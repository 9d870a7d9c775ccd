import Foundation
import TollgateDomain
import TollgateFormats

/// Where a change leaves its trace, in the transaction that makes it: entries of the account's
/// hash-chained audit log and events of its event log.
///
/// Both logs are ordered per account, so appends of one account are serialized on the account's
/// row, which holds the chain head and both sequences. Where that happens differs by engine:
///
/// - **SQLite** has one writer at a time: the append moves the sequences on the row
///   (`UPDATE … RETURNING`), chains the entries in Swift and inserts them.
/// - **PostgreSQL** appends at `COMMIT`. A change inserts its entries into `pending_changes` (an
///   unlogged table no committed row ever stays in), and a deferred constraint trigger on that
///   table (`tollgate_append_changes`, migration 11) moves them into `audit_events` and `events`
///   with their sequences and hashes while the transaction commits. The account's row is locked
///   only inside the commit, never across a round trip between the server and the database: an
///   append in the body held it for that statement's answer and the `COMMIT` (two round trips
///   with the cores busy), and a license's activations, which run side by side, queued there
///   (measured: `scripts/bench/activation`, BENCHMARKS.md). The hash is computed in SQL over the
///   same canonical text as ``AuditChain/hash(of:)`` (``AuditChain/canonicalText(around:)`` with the
///   sequence and the previous hash put in), and the Swift verifier checks it like any other.
///
/// Transactions of one account that touch different licenses run side by side up to their commit.
/// The entries are in the logs once the transaction has committed, not before.
public struct ChangeTable {
    let sql: any SQLExecutor

    /// One change to record: its audit entry (before the chain fields are set) and, unless it is
    /// audit-only, the event of the same type (`action`), object and actor.
    public struct Change: Sendable {
        public var actor: String
        public var action: String
        public var objectType: String
        public var objectId: String
        public var beforeDigest: String?
        public var afterDigest: String?
        /// Whether the change is published in the event log; `false` for what only the audit log
        /// records (samples of refused tokens).
        public var publishes: Bool
        /// The event's data: the object's new state as JSON text, or `nil`.
        public var data: String?

        public init(
            actor: String, action: String, objectType: String, objectId: String, beforeDigest: String?, afterDigest: String?,
            publishes: Bool = true, data: String? = nil
        ) {
            self.actor = actor
            self.action = action
            self.objectType = objectType
            self.objectId = objectId
            self.beforeDigest = beforeDigest
            self.afterDigest = afterDigest
            self.publishes = publishes
            self.data = data
        }

        /// A change of an object from `before` to `after`, which the audit entry records as their
        /// digests (``AuditChain/digest(of:)``).
        public init<Before: Encodable, After: Encodable>(
            actor: String, action: String, objectType: String, objectId: String, before: Before?, after: After?, publishes: Bool = true,
            data: String? = nil
        ) {
            self.init(
                actor: actor, action: action, objectType: objectType, objectId: objectId, beforeDigest: before.map { AuditChain.digest(of: $0) },
                afterDigest: after.map { AuditChain.digest(of: $0) }, publishes: publishes, data: data)
        }
    }

    /// Larger changes (a sweep's batch) insert this many rows per statement (PostgreSQL takes at
    /// most 65,535 parameters, SQLite 32,766: 500 audit rows are 6,000).
    static let rowsPerStatement = 500

    /// Appends `changes`, in order, to the account's audit chain and (those that publish) to its
    /// event log.
    public func record(accountId: String, _ changes: [Change], at now: Date) async throws {
        guard !changes.isEmpty else { return }
        if sql.dialect == .postgresql { return try await stage(accountId: accountId, changes, at: now) }
        let published = changes.filter(\.publishes)
        guard
            let row = try await sql.queryOne(
                """
                UPDATE accounts SET audit_sequence = audit_sequence + ?, event_sequence = event_sequence + ? WHERE id = ?
                RETURNING audit_sequence, audit_head, event_sequence
                """,
                [.integer(Int64(changes.count)), .integer(Int64(published.count)), .text(accountId)]),
            let auditSequence = row.int("audit_sequence"), let head = row.string("audit_head"), let eventSequence = row.int("event_sequence")
        else { throw TollgateError.notFound(resource: "account", id: accountId) }

        var previous: (sequence: Int64, hash: String)? = auditSequence - Int64(changes.count) == 0 ? nil : (auditSequence - Int64(changes.count), head)
        let auditIds = Identifier.make(.auditEvent, at: Array(repeating: now, count: changes.count))
        let entries = zip(changes, auditIds).map { change, id in
            let entry = AuditChain.append(
                after: previous, id: id, accountId: accountId, actor: change.actor, action: change.action, objectType: change.objectType,
                objectId: change.objectId, beforeDigest: change.beforeDigest, afterDigest: change.afterDigest, at: now)
            previous = (entry.sequence, entry.hash)
            return entry
        }
        let eventIds = Identifier.make(.event, at: Array(repeating: now, count: published.count))
        let firstEvent = eventSequence - Int64(published.count) + 1
        let eventRows: [[SQLValue]] = published.enumerated().map { offset, change in
            [
                .text(accountId), .integer(firstEvent + Int64(offset)), .text(eventIds[offset]), .text(change.action), .text(change.objectType),
                .text(change.objectId), .text(change.actor), .text(change.data), .integer(now.epochMilliseconds),
            ]
        }
        try await insert(entries.map(Self.values), Self.insertAudit(count:))
        try await insert(eventRows, Self.insertEvents(count:))
        try await sql.execute("UPDATE accounts SET audit_head = ? WHERE id = ?", [.text(previous?.hash ?? head), .text(accountId)])
    }

    /// PostgreSQL: the changes go into `pending_changes`, in order, with the canonical text of
    /// each entry around its two chain fields; the trigger appends them at `COMMIT`.
    func stage(accountId: String, _ changes: [Change], at now: Date) async throws {
        let rows = Self.staged(accountId: accountId, changes, at: now)
        let statement = { (count: Int) in
            "INSERT INTO pending_changes (\(Self.stagedColumns.joined(separator: ", "))) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
        }
        // One change rides with the transaction's next statement; a batch goes on its own.
        if rows.count == 1 {
            try await sql.executeWithNext(statement(1), rows[0], writing: "pending_changes")
        } else {
            try await insert(rows, statement)
        }
    }

    /// The columns of a row of `pending_changes`, in the order of ``staged(accountId:_:at:)``'s values.
    static let stagedColumns = [
        "account_id", "id", "actor", "action", "object_type", "object_id", "before_digest", "after_digest", "occurred_at", "text_head",
        "text_middle", "event_id", "event_data",
    ]

    /// The rows of `pending_changes` that stage `changes`: each entry's canonical text around its
    /// two chain fields, which the trigger fills in.
    static func staged(accountId: String, _ changes: [Change], at now: Date) -> [[SQLValue]] {
        let millis = now.epochMilliseconds
        let auditIds = Identifier.make(.auditEvent, at: Array(repeating: now, count: changes.count))
        let eventIds = Identifier.make(.event, at: Array(repeating: now, count: changes.count))
        return changes.enumerated().map { offset, change in
            let entry = AuditEvent(
                id: auditIds[offset], accountId: accountId, sequence: 0, actor: change.actor, action: change.action,
                objectType: change.objectType, objectId: change.objectId, beforeDigest: change.beforeDigest, afterDigest: change.afterDigest,
                occurredAt: Date(epochMilliseconds: millis), previousHash: "", hash: "")
            let (head, middle) = AuditChain.canonicalText(around: entry)
            return [
                .text(accountId), .text(entry.id), .text(change.actor), .text(change.action), .text(change.objectType), .text(change.objectId),
                .text(change.beforeDigest), .text(change.afterDigest), .integer(millis), .text(head), .text(middle),
                change.publishes ? .text(eventIds[offset]) : .null, .text(change.data),
            ]
        }
    }

    /// Inserts `rows` with `statement(count)` (an `INSERT … VALUES` of `count` rows), at most
    /// ``rowsPerStatement`` rows per statement.
    private func insert(_ rows: [[SQLValue]], _ statement: (Int) -> String) async throws {
        for chunk in rows.chunks(of: Self.rowsPerStatement) {
            try await sql.execute(statement(chunk.count), chunk.flatMap { $0 })
        }
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
