import ServiceLifecycle

/// A value bound to or read from SQL. Time is stored as integer epoch milliseconds and ids as text.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)

    /// `nil` as `.null`.
    public static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    public static func integer(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    public var values: [String: SQLValue]

    public init(values: [String: SQLValue]) { self.values = values }

    public func string(_ column: String) -> String? {
        if case .text(let value) = values[column] { return value }
        return nil
    }

    public func int(_ column: String) -> Int64? {
        if case .integer(let value) = values[column] { return value }
        return nil
    }
}

/// Runs statements inside one transaction.
///
/// SQL is written once, portably: `?` placeholders, `BIGINT` and `TEXT` columns, no
/// engine-specific functions. A driver for another engine rewrites placeholders as it needs.
public protocol SQLExecutor {
    /// Which engine runs the statements, for the few clauses that differ.
    var dialect: SQLDialect { get }
    func execute(_ sql: String, _ arguments: [SQLValue]) async throws
    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
    /// Runs `sql`, an `INSERT` into `table` that returns nothing and fails only on a programming
    /// error, with the transaction's next statement rather than on its own: on PostgreSQL as a
    /// data-modifying `WITH` of the next statement (or alone before `COMMIT`), which saves a round
    /// trip; SQLite, whose statements cost no round trip, runs it at once.
    func executeWithNext(_ sql: String, _ arguments: [SQLValue], writing table: String) async throws
    /// Tells every other process following this database's changes that `topic` changed, when
    /// (and only if) this transaction commits (``SQLDatabase/followChanges(_:)``). Where no other
    /// process can write (SQLite), nothing.
    func announce(_ topic: ChangeTopic) async throws
}

/// What a committed write changed, as other processes hear it (the notification's payload).
public enum ChangeTopic: Sendable, Equatable {
    /// Any stored object: a write that takes the database's lock (payload empty).
    case data
    /// The objects of one account: a write that takes the account's or one of its licenses' locks
    /// (payload the account's id).
    case account(String)
    /// The signing keys (payload `keys`).
    case keys

    /// The topic of a notification's payload.
    public init(payload: String) {
        switch payload {
        case "": self = .data
        case "keys": self = .keys
        default: self = .account(payload)
        }
    }

    /// The notification's payload.
    public var payload: String {
        switch self {
        case .data: ""
        case .account(let id): id
        case .keys: "keys"
        }
    }
}

/// The engines Tollgate speaks to. Statements are portable except where a table says otherwise.
public enum SQLDialect: Sendable {
    case sqlite
    case postgresql

    /// What a `SELECT` picking rows to claim ends with: on PostgreSQL the rows are locked and rows
    /// locked by another transaction are passed over, so concurrent claimers never wait for or
    /// take each other's rows; SQLite's single writer makes that the default.
    public var skipLocked: String {
        switch self {
        case .sqlite: ""
        case .postgresql: " FOR UPDATE SKIP LOCKED"
        }
    }
}

extension SQLExecutor {
    public func execute(_ sql: String) async throws { try await execute(sql, []) }
    public func queryOne(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRow? { try await query(sql, arguments).first }
}

/// The seam between Tollgate and a database engine: transactions over ``SQLExecutor``.
///
/// Writes are serialized and atomic: a `write` body that throws leaves nothing behind.
public protocol SQLDatabase: Sendable {
    /// What of the engine runs as a service of the server's group for as long as the database is
    /// used: PostgreSQL's connection pool, when the database was opened to run in one. `nil` when
    /// nothing needs to run, or the database runs it itself (commands, tests).
    var service: (any Service)? { get }
    /// Readies the engine before the migrations (PostgreSQL: the URL's schema).
    func prepare() async throws
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// A write transaction serialized against the other writes `lock` names (see ``WriteLock``).
    func write<T: Sendable>(lock: WriteLock, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body` outside any transaction: each of its statements commits on its own. For a
    /// read or a write that is one statement, where a transaction would only add round trips
    /// (PostgreSQL: `BEGIN` and `COMMIT`, each a round trip). `nil` where a transaction costs no
    /// round trip (SQLite): the caller runs its transaction instead.
    func alone<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T?
    /// Calls `onChange` with what a write transaction of another process on this database changed
    /// whenever one commits, and with every topic on each (re)connection for what may have been
    /// missed, until the calling task is cancelled. Returns at once where no other process can write.
    func followChanges(_ onChange: @escaping @Sendable (ChangeTopic) -> Void) async
    /// Releases the engine's resources.
    func close() async throws
}

/// Store failures that callers handle.
public enum StoreError: Error, Sendable, Equatable {
    /// A unique constraint refused the write.
    case duplicate(String)
    /// The database cannot be reached or written (locked, read-only, full, gone). Retry later.
    case unavailable(String)
}

/// What a write transaction is serialized against.
///
/// SQLite has one writer, so every write is serialized against every other. On PostgreSQL the
/// writes of one account (its audit chain head, its event sequence, its licenses' seat and lease
/// counts) are serialized by a transaction-scoped advisory lock of the account, and writes of
/// different accounts run side by side; a write that may touch several accounts takes the
/// database's lock, which waits for every account's writers and holds them off.
public enum WriteLock: Sendable, Hashable {
    /// Every other write (migrations, bootstrap, sweeps across accounts).
    case everything
    /// The other writes of this account.
    case account(String)
    /// The other writes of this license (its seats and leases), and the account's writes that
    /// take ``account(_:)``; other licenses of the account go on. The account's logs are appended
    /// under the account row's lock at `COMMIT` (``ChangeTable``).
    case license(account: String, license: String)
    /// No other write: the transaction only inserts rows with fresh keys or changes single rows
    /// with conditional statements, which PostgreSQL's row locks keep correct on their own (logs,
    /// batched heartbeats, job claims).
    case rows
}

extension SQLDatabase {
    public var service: (any Service)? { nil }
    public func prepare() async throws {}

    /// A write serialized against every other.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await write(lock: .everything, body)
    }

    /// SQLite's statements cost no round trip: there is nothing to save outside a transaction.
    public func alone<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T? { nil }

    /// One process writes a SQLite file: there is no other writer to follow.
    public func followChanges(_ onChange: @escaping @Sendable (ChangeTopic) -> Void) async {}

    /// A write that needs no other write to wait (``WriteLock/rows``).
    public func append(_ body: @escaping @Sendable (any SQLExecutor) async throws -> Void) async throws {
        try await write(lock: .rows, body)
    }
}
