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
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
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
    public func execute(_ sql: String) throws { try execute(sql, []) }
    public func queryOne(_ sql: String, _ arguments: [SQLValue]) throws -> SQLRow? { try query(sql, arguments).first }
}

/// The seam between Tollgate and a database engine: transactions over ``SQLExecutor``.
///
/// Writes are serialized and atomic: a `write` body that throws leaves nothing behind.
public protocol SQLDatabase: Sendable {
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T
    /// A write transaction that only appends to logs or moves single rows conditionally, which
    /// needs no serialization against other writers (see ``Store/appendToLog(_:)``).
    func append(_ body: @escaping @Sendable (any SQLExecutor) throws -> Void) async throws
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

extension SQLDatabase {
    /// SQLite has one writer anyway: appends are ordinary writes.
    public func append(_ body: @escaping @Sendable (any SQLExecutor) throws -> Void) async throws {
        try await write(body)
    }
}
