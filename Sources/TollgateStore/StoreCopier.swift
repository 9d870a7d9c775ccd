import Foundation
import TollgateDomain
import TollgateFormats

/// Copies every table of one store into another (`tollgate migrate`: SQLite to PostgreSQL), in
/// key order and in batches, then verifies the copy.
///
/// Safe to run again: rows already in the target are left alone (`ON CONFLICT DO NOTHING`), so a
/// copy that stopped half-way resumes where it was. The target's schema comes from its own
/// migrations. Jobs that run once and have not succeeded are copied (they are work still owed);
/// recurring jobs are not (each database's replicas schedule their own).
public struct StoreCopier: Sendable {
    /// A table and its primary key, in an order that respects references, and which of its rows
    /// are copied (a SQL condition; every row when `nil`).
    public struct Table: Sendable {
        public var name: String
        public var key: [String]
        public var filter: String?

        init(name: String, key: [String], filter: String? = nil) {
            self.name = name
            self.key = key
            self.filter = filter
        }
    }

    public static let tables: [Table] = [
        Table(name: "accounts", key: ["id"]),
        Table(name: "api_tokens", key: ["id"]),
        Table(name: "signing_keys", key: ["id"]),
        Table(name: "products", key: ["id"]),
        Table(name: "entitlements", key: ["id"]),
        Table(name: "policies", key: ["id"]),
        Table(name: "customers", key: ["id"]),
        Table(name: "licenses", key: ["id"]),
        Table(name: "machines", key: ["id"]),
        Table(name: "leases", key: ["id"]),
        Table(name: "meters", key: ["id"]),
        Table(name: "usage_events", key: ["account_id", "id"]),
        Table(name: "usage_counters", key: ["account_id", "license_id", "meter", "period", "starts_at"]),
        Table(name: "usage_distinct_values", key: ["account_id", "license_id", "meter", "period", "starts_at", "value"]),
        Table(name: "usage_thresholds", key: ["account_id", "license_id", "meter", "period", "starts_at", "threshold"]),
        Table(name: "audit_events", key: ["account_id", "sequence"]),
        Table(name: "events", key: ["account_id", "sequence"]),
        Table(name: "idempotency_keys", key: ["account_id", "principal", "route", "idempotency_key"]),
        Table(name: "validation_events", key: ["id"]),
        Table(name: "jobs", key: ["id"], filter: "every_ms IS NULL AND state <> 'succeeded'"),
    ]

    public let source: Store
    public let target: Store
    public var batchSize = 1_000

    public init(source: Store, target: Store) {
        self.source = source
        self.target = target
    }

    /// Copies one table; `progress` hears (rows copied so far, rows in the source).
    public func copy(_ table: Table, progress: @Sendable (Int, Int) -> Void) async throws {
        let total = try await count(table, in: source)
        var after: [SQLValue]?
        var copied = 0
        while true {
            let keyArguments: [SQLValue] = after ?? []
            let statement = Self.page(table, after: after != nil, limit: batchSize)
            let rows = try await source.read { [batchSize] session in
                try await session.sql.query(statement, keyArguments + [.integer(Int64(batchSize))])
            }
            guard let last = rows.last else { break }
            try await target.appendToLog { session in
                for row in rows {
                    let columns = row.values.keys.sorted()
                    let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                    try await session.sql.execute(
                        "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT DO NOTHING",
                        columns.map { row.values[$0] ?? .null })
                }
            }
            copied += rows.count
            progress(copied, total)
            after = table.key.map { last.values[$0] ?? .null }
            if rows.count < batchSize { break }
        }
    }

    /// A page in key order after the previous page's last key: a row-value comparison, which
    /// SQLite (3.15+) and PostgreSQL both read through the primary key's index.
    static func page(_ table: Table, after: Bool, limit: Int) -> String {
        let order = table.key.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: table.key.count).joined(separator: ", ")
        let conditions = [table.filter.map { "(\($0))" }, after ? (table.key.count == 1 ? "\(order) > ?" : "(\(order)) > (\(placeholders))") : nil]
            .compactMap { $0 }
        let clause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return "SELECT * FROM \(table.name)\(clause) ORDER BY \(order) LIMIT ?"
    }

    /// What verification found for one table.
    public struct Count: Sendable, Equatable {
        public var table: String
        public var source: Int
        public var target: Int
    }

    /// Row counts per table in both stores, and each account's audit chain checked in the target.
    public func verify() async throws -> (counts: [Count], chains: [(accountId: String, verification: AuditChain.Verification)]) {
        var counts: [Count] = []
        for table in Self.tables {
            counts.append(Count(table: table.name, source: try await count(table, in: source), target: try await count(table, in: target)))
        }
        let chains = try await target.read { session in
            var chains: [(String, AuditChain.Verification)] = []
            for account in try await session.accounts.all() {
                let head = try await session.accounts.auditHead(accountId: account.id)
                chains.append((account.id, AuditChain.verify(try await session.audit.chain(accountId: account.id), head: head)))
            }
            return chains
        }
        return (counts, chains)
    }

    func count(_ table: Table, in store: Store) async throws -> Int {
        let clause = table.filter.map { " WHERE \($0)" } ?? ""
        return Int(try await store.read { try await $0.sql.queryOne("SELECT COUNT(*) AS n FROM \(table.name)\(clause)", [])?.int("n") } ?? 0)
    }
}
