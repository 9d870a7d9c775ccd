import Foundation
import Synchronization
import TollgateDomain
import TollgateFormats

/// Tollgate's persistence: typed tables over one ``SQLDatabase``, in transactions.
///
/// ```swift
/// let store = try await Store.openSQLite(path: "tollgate-data/tollgate.sqlite")
/// let product = try await store.write { session in
///     try await session.products.insert(product)
///     try await session.audit.record(…)
///     return product
/// }
/// ```
public struct Store: Sendable {
    public let database: any SQLDatabase
    /// Counts the write transactions of this process and, on PostgreSQL, the commits other
    /// processes announce, so that caches of stored objects can tell whether anything of an
    /// account changed since they read it.
    public let generation: WriteGeneration
    /// Decoded documents by their stored text (see ``DocumentCache``).
    let documents = DocumentCache()
    /// Whether this process's last write reached the database (see ``ready()``).
    let writes = WriteHealth()
    /// Activations' inserts waiting for a statement on PostgreSQL (``insertMachine(_:change:ifStill:seatLimit:)``).
    let machineInserts = MachineInsertBatches()

    init(database: any SQLDatabase) {
        self.database = database
        self.generation = WriteGeneration()
    }

    /// Wraps `database` after running its migrations.
    public static func open(_ database: any SQLDatabase, now: Date = Date()) async throws -> Store {
        let store = unmigrated(database)
        try await store.migrate(now: now)
        return store
    }

    /// Wraps `database` without touching it: ``migrate(now:)`` must run before any transaction
    /// (the server does it in `beforeServerStarts`, once its group runs the database's service).
    public static func unmigrated(_ database: any SQLDatabase) -> Store {
        Store(database: database)
    }

    /// Readies the database and runs its migrations.
    public func migrate(now: Date = Date()) async throws {
        try await database.prepare()
        try await Migrations.run(on: database, now: now.epochMilliseconds)
    }

    /// Opens (creating if needed) the SQLite file at `path`.
    public static func openSQLite(path: String, now: Date = Date()) async throws -> Store {
        try await open(SQLiteDatabase(path: path), now: now)
    }

    /// Connects to the PostgreSQL database at `url` (see ``PostgreSQLDatabase``).
    public static func openPostgreSQL(url: String, now: Date = Date()) async throws -> Store {
        let database = try PostgreSQLDatabase(url: url)
        do {
            return try await open(database, now: now)
        } catch {
            try? await database.close()
            throw error
        }
    }

    /// Runs `body` in a read transaction.
    ///
    /// A body awaits the store's statements and nothing else: it runs on the transaction's own
    /// executor (SQLite's connection thread, PostgreSQL's connection's event loop), and a body that
    /// began another transaction of this store could wait for its own connection.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreSession) async throws -> T) async throws -> T {
        try await database.read { try await body(StoreSession(sql: $0, documents: documents)) }
    }

    /// Runs `body` in a write transaction: all of it commits, or none of it does. It is
    /// serialized against the writes `lock` names: by default every other write; a change of one
    /// account's objects passes `.account(id)` so that other accounts' writes go on meanwhile.
    @discardableResult
    public func write<T: Sendable>(lock: WriteLock = .everything, _ body: @escaping @Sendable (StoreSession) async throws -> T) async throws -> T {
        defer { generation.advance(after: lock) }
        return try await noting { try await database.write(lock: lock) { try await body(StoreSession(sql: $0, documents: documents)) } }
    }

    /// Runs `body` outside a transaction, each statement committing on its own
    /// (``SQLDatabase/alone(_:)``): for a read of one statement, which on PostgreSQL then costs one
    /// round trip instead of three. `nil` on SQLite, where the caller reads in a transaction.
    public func alone<T: Sendable>(_ body: @escaping @Sendable (StoreSession) async throws -> T) async throws -> T? {
        try await database.alone { try await body(StoreSession(sql: $0, documents: documents)) }
    }

    /// Advances ``generation`` whenever another process's write commits (PostgreSQL `LISTEN`): the
    /// account's when the write was confined to one account, all of it otherwise. So caches of
    /// stored objects drop what another replica changed at once rather than when they expire, and calls `keysChanged` when that write changed the signing keys (and on each
    /// (re)connection). Runs until the task is cancelled; returns at once on SQLite.
    public func followChanges(keysChanged: @escaping @Sendable () -> Void = {}) async {
        let generation = generation
        await database.followChanges { topic in
            switch topic {
            case .data: generation.advance()
            case .account(let id): generation.advance(accountId: id)
            case .keys: keysChanged()
            }
        }
    }

    /// Runs `body` in a write transaction that only appends to logs no cache depends on
    /// (validation events): it does not advance ``generation``.
    public func appendToLog(_ body: @escaping @Sendable (StoreSession) async throws -> Void) async throws {
        try await noting { try await database.append { try await body(StoreSession(sql: $0, documents: documents)) } }
    }

    /// Runs a write and records whether the database took it: an unavailable database (gone,
    /// read-only, full) marks writes as failing until one succeeds.
    func noting<T: Sendable>(_ write: () async throws -> T) async throws -> T {
        do {
            let result = try await write()
            writes.succeeding.store(true, ordering: .relaxed)
            return result
        } catch let error as StoreError {
            if case .unavailable = error {
                writes.succeeding.store(false, ordering: .relaxed)
                writes.failedAt.store(Date().epochMilliseconds, ordering: .relaxed)
            }
            throw error
        }
    }

    /// How long readiness stays red after a write failed as unavailable, even when a later write
    /// (its own probe among them) succeeds. A full disk refuses large commits and may still take a
    /// small one that fits where the WAL already was (measured: `/readyz` flapped between 503 and
    /// 200 every few hundred milliseconds while the disk was full); a balancer should see the
    /// trouble, not the flapping.
    static let settleAfterFailure: Int64 = 2_000

    /// Throws unless the database answers a read and takes writes. While this process's last
    /// write failed as unavailable, it tries a write of its own (a one-row update), so that
    /// readiness comes back on its own once the database does, even with no traffic; and for
    /// ``settleAfterFailure`` after any failed write it stays red.
    public func ready(now: Date = Date()) async throws {
        _ = try await database.read { try await $0.query("SELECT 1 AS one", []) }
        if !writes.succeeding.load(ordering: .relaxed) {
            // A new value in a row of its own: rewriting a row with the same value can succeed on a
            // full disk (measured: /readyz stayed green), a changed one cannot.
            try await write { session in
                try await session.sql.execute(
                    "INSERT INTO probes (name, at) VALUES ('readiness', ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at",
                    [.integer(now.epochMilliseconds)])
            }
        }
        let since = Date().epochMilliseconds - writes.failedAt.load(ordering: .relaxed)
        if since < Self.settleAfterFailure {
            throw StoreError.unavailable("a write failed \(since) ms ago")
        }
    }
}

/// The tables, inside one transaction.
public struct StoreSession {
    public let sql: any SQLExecutor
    let documents: DocumentCache

    init(sql: any SQLExecutor, documents: DocumentCache) {
        self.sql = sql
        self.documents = documents
    }

    public var accounts: AccountTable { AccountTable(sql: sql) }
    public var tokens: TokenTable { TokenTable(sql: sql) }
    public var users: UserTable { UserTable(sql: sql) }
    public var invitations: InvitationTable { InvitationTable(sql: sql) }
    public var webSessions: WebSessionTable { WebSessionTable(sql: sql) }
    public var dashboard: DashboardTable { DashboardTable(sql: sql) }
    public var products: DocumentTable<Product> { DocumentTable(sql: sql, documents: documents, table: "products", columns: ["code"]) { [.text($0.code)] } }
    public var changes: ChangeTable { ChangeTable(sql: sql) }
    public var entitlements: DocumentTable<Entitlement> {
        DocumentTable(sql: sql, documents: documents, table: "entitlements", columns: ["product_id", "code"]) { [.text($0.productId), .text($0.code)] }
    }
    public var policies: DocumentTable<Policy> {
        DocumentTable(sql: sql, documents: documents, table: "policies", columns: ["product_id"]) { [.text($0.productId)] }
    }
    public var customers: DocumentTable<Customer> {
        DocumentTable(sql: sql, documents: documents, table: "customers", columns: ["email"]) { [.text($0.email)] }
    }
    public var licenses: DocumentTable<License> {
        DocumentTable(sql: sql, documents: documents, table: "licenses", columns: ["product_id", "policy_id", "customer_id", "state", "expires_at"]) {
            [.text($0.productId), .text($0.policyId), .text($0.customerId), .text($0.state.rawValue), .integer($0.expiresAt?.epochMilliseconds)]
        }
    }
    public var webhookEndpoints: DocumentTable<WebhookEndpoint> {
        DocumentTable(sql: sql, documents: documents, table: "webhook_endpoints", columns: ["status"]) { [.text($0.status.rawValue)] }
    }
    public var webhookSecrets: WebhookSecretTable { WebhookSecretTable(sql: sql) }
    public var webhookDeliveries: WebhookDeliveryTable { WebhookDeliveryTable(sql: sql) }
    public var notifications: NotificationTable { NotificationTable(sql: sql) }
    public var notificationTemplates: NotificationTemplateTable { NotificationTemplateTable(sql: sql) }
    public var meters: DocumentTable<Meter> { DocumentTable(sql: sql, documents: documents, table: "meters", columns: ["code"]) { [.text($0.code)] } }
    public var machines: MachineTable { MachineTable(sql: sql) }
    public var usageEvents: UsageEventTable { UsageEventTable(sql: sql) }
    public var usageCounters: UsageCounterTable { UsageCounterTable(sql: sql) }
    public var usageAnalytics: UsageAnalyticsTable { UsageAnalyticsTable(sql: sql) }
    public var usageGauges: UsageGaugeTable { UsageGaugeTable(sql: sql) }
    public var leases: LeaseTable { LeaseTable(sql: sql) }
    public var jobs: JobTable { JobTable(sql: sql) }
    public var signingKeys: SigningKeyTable { SigningKeyTable(sql: sql) }
    public var audit: AuditTable { AuditTable(sql: sql) }
    public var events: EventTable { EventTable(sql: sql) }
    public var idempotency: IdempotencyTable { IdempotencyTable(sql: sql) }
    public var validations: ValidationEventTable { ValidationEventTable(sql: sql) }
    public var operations: OperationsQuery { OperationsQuery(sql: sql) }
}

extension SQLExecutor {
    /// A page of `table`'s rows that meet every one of `conditions` (`?` placeholders, in order
    /// with `arguments`), newest first by id: the cursor is the last row's id.
    func newestFirst<Item: Sendable>(
        _ table: String, _ conditions: [(clause: String, value: SQLValue)], page: PageRequest, id: (Item) -> String, decode: (SQLRow) -> Item?
    ) async throws -> Page<Item> {
        var conditions = conditions
        if let after = page.after { conditions.append(("id < ?", .text(after))) }
        var items = try await query(
            "SELECT * FROM \(table) WHERE \(conditions.map(\.clause).joined(separator: " AND ")) ORDER BY id DESC LIMIT ?",
            conditions.map(\.value) + [.integer(Int64(page.limit + 1))]
        ).compactMap(decode)
        var next: String?
        if items.count > page.limit {
            items.removeLast()
            next = items.last.map(id)
        }
        return Page(items: items, nextCursor: next)
    }
}

/// One page of a list, and the cursor of the next page (`nil` on the last).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// The same page with every item transformed.
    public func map<Other: Sendable>(_ transform: (Item) throws -> Other) rethrows -> Page<Other> {
        Page<Other>(items: try items.map(transform), nextCursor: nextCursor)
    }

    /// The same page with every item transformed in turn by `transform`, which may read the store.
    public func map<Other: Sendable>(_ transform: (Item) async throws -> Other) async rethrows -> Page<Other> {
        var items: [Other] = []
        for item in self.items { items.append(try await transform(item)) }
        return Page<Other>(items: items, nextCursor: nextCursor)
    }
}

/// Where a list starts and how long a page is.
public struct PageRequest: Sendable, Equatable {
    public static let maximumLimit = 100
    public var limit: Int
    /// The id after which the page starts (the previous page's `nextCursor`).
    public var after: String?

    public init(limit: Int = 25, after: String? = nil) {
        self.limit = min(max(limit, 1), Self.maximumLimit)
        self.after = after
    }
}

/// A condition on a list: an SQL clause over the table's columns and its arguments.
struct Filter: Sendable {
    var clause: String
    var arguments: [SQLValue]

    init(_ clause: String, _ arguments: [SQLValue]) {
        self.clause = clause
        self.arguments = arguments
    }
}

/// The JSON form documents are stored in.
enum DocumentCoding {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }
}

/// Documents already decoded, keyed by table and id and checked against the stored text: a read
/// still fetches the row (so it sees every committed change, from any process), but skips the
/// JSON decode when the text is the one decoded before. Bounded; cleared when full.
final class DocumentCache: Sendable {
    private let entries = Mutex<[String: (text: String, document: any Sendable)]>([:])
    private let capacity = 50_000

    func document<Document: Sendable>(_ type: Document.Type, key: String, text: String) -> Document? {
        guard let entry = entries.withLock({ $0[key] }), entry.text == text else { return nil }
        return entry.document as? Document
    }

    func remember(_ document: some Sendable, key: String, text: String) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (text, document)
        }
    }
}

/// Counters that write transactions advance after they end (committed or not), so that caches
/// of stored objects can tell whether anything changed since they read it.
///
/// A cache reads a generation before it reads the database and keeps an entry only while the
/// generation has not moved. ``current(accountId:)`` moves with the writes of that account and the
/// writes not confined to one account (`WriteLock.everything` and `.rows`), so that one account's
/// writes do not drop every other account's cached objects.
public final class WriteGeneration: Sendable {
    /// Writes not confined to one account.
    private let shared = Atomic<UInt64>(0)
    /// Writes confined to one account, per account.
    private let accounts = Mutex<[String: UInt64]>([:])

    /// Moves with the writes of `accountId` and the writes not confined to one account.
    public func current(accountId: String) -> UInt64 {
        let own = accounts.withLock { $0[accountId] ?? 0 }
        // Two counters in one value: equality is all a cache compares, and 2^32 writes of one
        // account within one entry's lifetime (seconds) cannot happen.
        return shared.load(ordering: .acquiring) << 32 | (own & 0xFFFF_FFFF)
    }

    /// A write not confined to one account (or one whose account is unknown) ended.
    func advance() {
        shared.add(1, ordering: .releasing)
    }

    /// A write of `accountId`'s objects ended.
    func advance(accountId: String) {
        accounts.withLock { $0[accountId, default: 0] += 1 }
    }

    /// A write under `lock` ended.
    func advance(after lock: WriteLock) {
        switch lock {
        case .account(let id), .license(account: let id, license: _): advance(accountId: id)
        case .everything, .rows: advance()
        }
    }
}

/// Whether this process's last write reached the database.
final class WriteHealth: Sendable {
    let succeeding = Atomic<Bool>(true)
    /// When a write last failed as unavailable (epoch milliseconds; 0: never).
    let failedAt = Atomic<Int64>(0)
}
