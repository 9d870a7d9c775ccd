import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// PostgreSQL through PostgresNIO's `PostgresClient` (a connection pool), for several server
/// replicas sharing one database.
///
/// A transaction runs on the event loop of its connection (``EventLoopExecutor`` is the task's
/// preferred executor while it holds the connection): each statement is written, and its answer
/// read, on the thread that resumes the transaction, so a statement costs no thread hop in this
/// process (measured: with a thread-pool thread waiting on each statement's future, the hops were
/// a fifth of the machine during `scripts/bench/activation`). Write transactions first take the transaction-scoped advisory locks their ``WriteLock``
/// names, so one account's writes are serialized across every replica exactly as SQLite
/// serializes them in one process (the limit checks that read and then insert in one transaction
/// hold under races everywhere), while other accounts' writes run side by side. Reads run in
/// `REPEATABLE READ` snapshots.
///
/// The URL is `postgres://user:password@host:port/database`, with an optional `?schema=NAME`
/// (created if missing, and put first on the `search_path`), which lets tests give every run a
/// fresh schema in one database.
public final class PostgreSQLDatabase: SQLDatabase {
    let client: PostgresClient
    /// The pool's run loop, when this database runs it itself (``init(url:inGroup:)``).
    let runner: Task<Void, Never>?
    let logger: Logger
    /// Statements as sent, by argument types and text, and how many of them are prepared.
    private let statements = Mutex<(known: [String: Statement], prepared: Int)>(([:], 0))
    /// Set by ``close()``: every transaction after it (or failing during it) is unavailable (503),
    /// not an unknown error (500).
    private let closed = Atomic<Bool>(false)
    /// The key of the advisory lock that serializes writers.
    static let writeLock: Int64 = 0x746F_6C6C_6761_7465  // "tollgate"
    /// The advisory lock key of `name` (an account id, or "" for the whole database) in `schema`:
    /// ``writeLock`` mixed with both names (FNV-1a, 64 bits). A collision only serializes two
    /// accounts' writes needlessly.
    static func lockKey(schema: String?, name: String) -> Int64 {
        let text = (schema ?? "") + (name.isEmpty ? "" : ":" + name)
        return writeLock ^ Int64(bitPattern: text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
    }

    /// The keys a write of one license locks (``WriteLock/license(account:license:)``): the
    /// database's and the account's, shared, and the license's, exclusive.
    func licenseLockKeys(account: String, license: String) -> [SQLValue] {
        [.integer(writeLockKey), .integer(Self.lockKey(schema: schema, name: account)), .integer(Self.lockKey(schema: schema, name: license))]
    }

    /// This database's writers' lock: ``writeLock`` mixed with the schema's name (FNV-1a), so
    /// that Tollgate databases kept in different schemas of one PostgreSQL database (every test
    /// has its own) do not wait for each other, while replicas of one schema share the lock.
    let writeLockKey: Int64

    /// Connects lazily: nothing is opened until the first transaction. With `inGroup` the pool runs
    /// as a service of the caller's group (``service``; the server's), otherwise in a task of its
    /// own until ``close()``.
    public init(url: String, inGroup: Bool = false, logger: Logger = Logger(label: "tollgate.postgres")) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, let user = components.user
        else {
            throw StoreError.unavailable("'\(url)' is not a postgres://user:password@host:port/database URL.")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: components.path.isEmpty ? nil : String(components.path.dropFirst()), tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 16
        if let schema = components.queryItems?.first(where: { $0.name == "schema" })?.value {
            guard schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !schema.isEmpty else {
                throw StoreError.unavailable("The schema '\(schema)' must be letters, digits and underscores.")
            }
            configuration.options.additionalStartupParameters = [("options", "-c search_path=\(schema)")]
            self.schema = schema
        } else {
            self.schema = nil
        }
        writeLockKey = Self.lockKey(schema: schema, name: "")
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        runner = inGroup ? nil : Task { await client.run() }
    }

    /// The connection pool, when the server's service group runs it (``init(url:inGroup:)``).
    public var service: (any Service)? { runner == nil ? client : nil }

    let schema: String?

    /// Creates the schema named in the URL, if any, under the writers' lock: `CREATE SCHEMA IF NOT
    /// EXISTS` is not safe against itself when two replicas start at once.
    public func prepare() async throws {
        guard let schema else { return }
        try await transaction(lock: .everything, readOnly: false) { sql in try await sql.execute("CREATE SCHEMA IF NOT EXISTS \(schema)") }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(lock: nil, readOnly: true, body)
    }

    public func write<T: Sendable>(lock: WriteLock, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(lock: lock, readOnly: false, body)
    }

    /// Each statement of `body` in a transaction of its own, at `READ COMMITTED` (the server's
    /// default): a function it calls sees, in each of its statements, what committed before that
    /// statement began.
    public func alone<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T? {
        try await transaction(lock: nil, readOnly: false, alone: true, body)
    }

    /// The channel on which this database's writes announce their commit (one per schema).
    var changeChannel: String { "tollgate_\(schema ?? "public")" }

    /// Follows the commits of every process's writes (``WriteLock/account(_:)`` and
    /// ``WriteLock/everything``; not logs) with `LISTEN`, on a connection of its own, calling
    /// `onChange` for each and once on every (re)connection for what it may have missed. Reconnects
    /// after a lost connection; returns when the task is cancelled.
    public func followChanges(_ onChange: @escaping @Sendable (ChangeTopic) -> Void) async {
        while !Task.isCancelled, !closed.load(ordering: .acquiring) {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: self.changeChannel) { notifications in
                        onChange(.data)
                        onChange(.keys)
                        for try await notification in notifications { onChange(ChangeTopic(payload: notification.payload)) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("Not following other replicas' writes; will reconnect", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    public func close() async throws {
        closed.store(true, ordering: .releasing)
        runner?.cancel()
    }

    /// How long a transaction may wait for a connection: while the database is down the pool
    /// keeps trying to connect, and callers get `StoreError.unavailable` (503) instead of waiting.
    static let connectionWait: Duration = .seconds(4)
    /// How long one statement may take before the connection is given up as lost.
    static let queryWatchdog: TimeAmount = .seconds(8)

    private func transaction<T: Sendable>(
        lock: WriteLock?, readOnly: Bool, alone: Bool = false, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T
    ) async throws -> T {
        // Waiting for a connection is abandoned at the deadline, but a transaction that has begun
        // is always awaited: a caller is never told "unavailable" about a change that then commits.
        if closed.load(ordering: .acquiring) { throw StoreError.unavailable("the database is closed") }
        let race = Race()
        return try await withCheckedThrowingContinuation { continuation in
            let settle = race.settler(continuation)
            // A timer of an event loop rather than a sleeping task: one per transaction, cancelled
            // when the transaction ends.
            let deadline = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .seconds(Int64(Self.connectionWait.components.seconds))) {
                if race.timeOut() { settle(.failure(StoreError.unavailable("no database connection within \(Self.connectionWait)"))) }
            }
            Task {
                do {
                    let result = try await self.run(lock: lock, readOnly: readOnly, alone: alone, race: race, body)
                    settle(.success(result))
                } catch {
                    let closed = self.closed.load(ordering: .acquiring)
                    settle(.failure(closed ? StoreError.unavailable("the database is closed") : Self.translate(error)))
                }
                deadline.cancel()
            }
        }
    }

    /// Who settles a transaction first: the transaction beginning, or the deadline.
    final class Race: Sendable {
        private let state = Mutex<Int>(0)  // 0 waiting, 1 begun, 2 timed out

        /// The transaction may begin unless the deadline has passed.
        func begin() -> Bool { state.withLock { if $0 == 0 { $0 = 1; return true }; return false } }
        /// The deadline passes unless the transaction has begun.
        func timeOut() -> Bool { state.withLock { if $0 == 0 { $0 = 2; return true }; return false } }

        /// Resumes `continuation` once, with whichever result comes first.
        func settler<T>(_ continuation: CheckedContinuation<T, any Error>) -> @Sendable (Result<T, any Error>) -> Void where T: Sendable {
            let done = Mutex(false)
            return { result in
                let first = done.withLock { done -> Bool in defer { done = true }; return !done }
                if first { continuation.resume(with: result) }
            }
        }
    }

    private func run<T: Sendable>(
        lock: WriteLock?, readOnly: Bool, alone: Bool, race: Race, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
            try await withTaskExecutorPreference(EventLoopExecutor.of(connection.eventLoop)) {
                guard race.begin() else { throw StoreError.unavailable("no database connection in time") }
                let executor = PostgreSQLExecutor(connection: connection, database: self)
                if alone {
                    do {
                        let result = try await body(executor)
                        try await executor.flush()
                        return result
                    } catch {
                        // No transaction is open; only a connection that may still be running a
                        // statement (lost, or past the watchdog) is given up.
                        if case StoreError.unavailable = Self.translate(error), !connection.isClosed { try? await connection.close() }
                        throw error
                    }
                }
                try await executor.execute(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
                do {
                    // The locks, and the notification of the commit in the same statement (one round
                    // trip fewer while the lock is held): PostgreSQL delivers it to every listener
                    // when, and only if, the transaction commits.
                    // The keys are arguments, so that the statement is prepared once per connection.
                    // The payload names the account a write was confined to (``ChangeTopic``), so other
                    // replicas drop only that account's cached objects.
                    let notify = "pg_notify('\(self.changeChannel)', ?)"
                    let database = SQLValue.integer(self.writeLockKey)
                    func key(_ name: String) -> SQLValue { .integer(Self.lockKey(schema: self.schema, name: name)) }
                    switch lock {
                    case nil, .rows: break
                    case .everything: try await executor.execute("SELECT pg_advisory_xact_lock(?), \(notify)", [database, .text("")])
                    case .account(let id):
                        // Shared on the database's lock (so `.everything` waits for this write and
                        // holds it off), exclusive on the account's.
                        try await executor.execute("SELECT pg_advisory_xact_lock_shared(?), pg_advisory_xact_lock(?), \(notify)", [database, key(id), .text(id)])
                    case .license(let account, let license):
                        // Shared on the database's and the account's locks (so writes of the whole
                        // account wait for this one and hold it off), exclusive on the license's.
                        try await executor.execute(
                            "SELECT pg_advisory_xact_lock_shared(?), pg_advisory_xact_lock_shared(?), pg_advisory_xact_lock(?), \(notify)",
                            self.licenseLockKeys(account: account, license: license) + [.text(account)])
                    }
                    let result = try await body(executor)
                    try await executor.flush()
                    try await executor.execute("COMMIT")
                    return result
                } catch {
                    // A connection goes back to the pool only with its transaction ended. After a
                    // lost connection or a watchdog timeout (the statement may still be running,
                    // the transaction still open) it is closed instead, and the pool replaces it:
                    // a query sent on a dead connection would wait forever, and a reused one would
                    // run the next caller's statements inside this transaction.
                    var ended = false
                    if case StoreError.unavailable = Self.translate(error) {} else if !connection.isClosed {
                        ended = (try? await executor.execute("ROLLBACK")) != nil
                    }
                    // Closed before the pool gets it back, so that no other transaction is handed it.
                    if !ended { try? await connection.close() }
                    throw error
                }
            }
        }
    }

    /// A statement as sent: its text with numbered placeholders, and the name it is prepared
    /// under on each connection (`nil`: sent unnamed).
    struct Statement: Sendable {
        var sql: String
        var name: String?
    }

    /// At most this many statements are prepared (per connection, PostgreSQL keeps each one's
    /// plan); statements seen after that, and statements with many arguments (whose shapes vary
    /// with a batch's size), run unnamed.
    static let preparedLimit = 1_000
    static let preparedArgumentLimit = 64

    /// `sql` as sent with arguments of `types` (one letter each: `n`ull, `i`nteger, `t`ext), worked
    /// out once per text and types. A prepared statement's parameter types are fixed when it is
    /// prepared, so each combination of types is a statement of its own, named by a digest of the
    /// text and the types.
    func statement(_ sql: String, types: String) -> Statement {
        let key = types + ":" + sql
        if let known = statements.withLock({ $0.known[key] }) { return known }
        var statement = Statement(sql: Self.numbered(sql), name: nil)
        let preparable = !types.isEmpty && types.count <= Self.preparedArgumentLimit
        return statements.withLock { state in
            if let known = state.known[key] { return known }
            if preparable, state.prepared < Self.preparedLimit {
                statement.name = "tg_" + SHA256.hash(data: Data(key.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
                state.prepared += 1
            }
            state.known[key] = statement
            return statement
        }
    }

    /// `?` placeholders as `$1`, `$2`… (outside quoted literals).
    static func numbered(_ sql: String) -> String {
        var output = ""
        var index = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?", !quoted {
                index += 1
                output += "$\(index)"
            } else {
                output.append(character)
            }
        }
        return output
    }

    /// Store errors from PostgreSQL's: a unique violation is a duplicate; lost connections,
    /// a closed pool and timeouts make the store unavailable.
    static func translate(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState] {
                if state == "23505" { return StoreError.duplicate(error.serverInfo?[.message] ?? "unique violation") }
                // Transient, worth a retry (503): class 08 connection exceptions, 40 transaction
                // rollbacks (serialization failures, deadlocks), 53 insufficient resources, 57P
                // operator intervention (shutdown), 55P03 lock not available, 57014 statement timeout.
                // 0A000 here is a prepared statement whose result changed shape under it (a migration by
                // another replica); the connection is closed, and the pool's next one prepares afresh.
                if ["08", "40", "53", "57P"].contains(where: state.hasPrefix) || ["55P03", "57014", "0A000"].contains(state) {
                    return StoreError.unavailable(error.serverInfo?[.message] ?? state)
                }
                return error
            }
            return StoreError.unavailable("\(error.code)")
        }
        if error is ChannelError || error is IOError || error is NIOConnectionError { return StoreError.unavailable("\(error)") }
        return error
    }
}

/// Statements of one PostgreSQL transaction, awaited on its connection's event loop.
///
/// A statement with arguments runs as a prepared statement of its connection: PostgreSQL parses
/// and plans it on its first use there and only binds it afterwards. Parsing and planning were
/// most of the server's time per statement (measured: `perf` during `scripts/bench/activation`,
/// the CTE that appends a change took about 0.9 ms of 1.2 ms in the parser and planner), and an
/// activation runs five statements under its license's lock. Statements without arguments
/// (`BEGIN`, `COMMIT`) run unnamed.
struct PostgreSQLExecutor: SQLExecutor {
    let connection: PostgresConnection
    let database: PostgreSQLDatabase
    var dialect: SQLDialect { .postgresql }

    /// Inserts that run with the transaction's next statement (``executeWithNext(_:_:writing:)``).
    let waiting = WaitingList()

    struct Waiting: Sendable {
        var sql: String
        var arguments: [SQLValue]
        var table: String
    }

    final class WaitingList: Sendable {
        private let list = Mutex<[Waiting]>([])

        func append(_ statement: Waiting) { list.withLock { $0.append(statement) } }
        /// The waiting statements, which are no longer waiting.
        func take() -> [Waiting] { list.withLock { list in defer { list = [] }; return list } }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
        _ = try await run(sql, arguments)
    }

    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await run(sql, arguments)
    }

    func executeWithNext(_ sql: String, _ arguments: [SQLValue], writing table: String) async throws {
        waiting.append(Waiting(sql: sql, arguments: arguments, table: table))
    }

    func announce(_ topic: ChangeTopic) async throws {
        try await execute("SELECT pg_notify(?, ?)", [.text(database.changeChannel), .text(topic.payload)])
    }

    /// Runs the waiting inserts on their own (before `COMMIT`).
    func flush() async throws {
        for statement in waiting.take() {
            _ = try await send(statement.sql, statement.arguments)
        }
    }

    /// Runs `sql` with the waiting inserts as data-modifying `WITH`s of it, when it can take them.
    private func run(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        let waiting = self.waiting.take()
        guard !waiting.isEmpty else { return try await send(sql, arguments) }
        if let combined = Self.combining(waiting, into: sql) {
            return try await send(combined, waiting.flatMap(\.arguments) + arguments)
        }
        for statement in waiting { _ = try await send(statement.sql, statement.arguments) }
        return try await send(sql, arguments)
    }

    /// `sql` with `waiting` as `WITH`s before it, or `nil` where that would change what runs: a
    /// statement that is not a plain `SELECT`, `INSERT`, `UPDATE`, `DELETE` or `WITH` takes none,
    /// and sub-statements of one statement run in no set order, so inserts into one table, or
    /// into a table the statement names, run one after the other instead.
    static func combining(_ waiting: [Waiting], into sql: String) -> String? {
        let text = sql.drop { $0.isWhitespace }
        let verb = text.prefix { $0.isLetter }.uppercased()
        guard ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(verb),
            Set(waiting.map(\.table)).count == waiting.count, !waiting.contains(where: { sql.contains($0.table) })
        else { return nil }
        let withs = waiting.enumerated().map { "waiting_\($0.offset) AS (\($0.element.sql))" }.joined(separator: ", ")
        guard verb == "WITH" else { return "WITH \(withs) \(text)" }
        var rest = text.dropFirst(4).drop { $0.isWhitespace }
        var recursive = ""
        if rest.prefix(10).uppercased() == "RECURSIVE " {
            recursive = "RECURSIVE "
            rest = rest.dropFirst(10)
        }
        return "WITH \(recursive)\(withs), \(rest)"
    }

    private func send(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        var binds = PostgresBindings(capacity: arguments.count)
        var types = ""
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull(); types += "n"
            case .integer(let value): binds.append(value); types += "i"
            case .text(let value): binds.append(value); types += "t"
            }
        }
        // A query sent on a connection that has just died may never complete: check first, and
        // after a watchdog close the connection, which fails the statement, rather than hold the
        // request forever.
        guard !connection.isClosed else { throw StoreError.unavailable("the database connection was lost") }
        let watchdog = connection.eventLoop.scheduleTask(in: PostgreSQLDatabase.queryWatchdog) { [connection] in
            let _: EventLoopFuture<Void> = connection.close()
        }
        defer { watchdog.cancel() }
        do {
            let statement = database.statement(sql, types: types)
            var rows: [SQLRow] = []
            if let name = statement.name {
                try await PreparedSQL.$current.withValue(PreparedSQL.Text(name: name, sql: statement.sql)) {
                    for try await row in try await connection.execute(PreparedSQL(bindings: binds), logger: database.logger) { rows.append(Self.row(row)) }
                }
            } else {
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: statement.sql, binds: binds), logger: database.logger) {
                    rows.append(Self.row(row))
                }
            }
            return rows
        } catch {
            // Translated here, so a body can catch `StoreError.duplicate` and answer its own error
            // (after which it must throw: PostgreSQL refuses further statements in the transaction).
            throw PostgreSQLDatabase.translate(error)
        }
    }

    static func row(_ row: PostgresRow) -> SQLRow {
        var values: [String: SQLValue] = [:]
        for cell in row { values[cell.columnName] = value(of: cell) }
        return SQLRow(values: values)
    }

    /// Integers of any width as `.integer`, everything else as text.
    static func value(of cell: PostgresCell) -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map { .integer($0) } ?? .null
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        default:
            return (try? cell.decode(String.self)).map { .text($0) } ?? .null
        }
    }
}

/// The prepared statement ``PostgreSQLExecutor`` runs: PostgresNIO prepares a statement type's
/// `name` and `sql` once per connection and caches it there. Ours are the store's statements,
/// known only at run time, so this one type reads them from a task-local value set around each
/// execution (PostgresNIO reads both when the execution starts, in the calling task).
struct PreparedSQL: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
    }
    @TaskLocal static var current = Text(name: "", sql: "")
    static var name: String { current.name }
    static var sql: String { current.sql }

    typealias Row = PostgresRow
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// An event loop as the executor of the tasks that prefer it: a transaction holding a connection
/// runs on the connection's loop, where its statements are written and answered.
final class EventLoopExecutor: TaskExecutor, Sendable {
    let eventLoop: any EventLoop

    private init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    private static let known = Mutex<[ObjectIdentifier: EventLoopExecutor]>([:])

    /// The executor of `eventLoop` (one per loop, kept for the process's life: loops are few).
    static func of(_ eventLoop: any EventLoop) -> EventLoopExecutor {
        known.withLock { known in
            if let executor = known[ObjectIdentifier(eventLoop)] { return executor }
            let executor = EventLoopExecutor(eventLoop)
            known[ObjectIdentifier(eventLoop)] = executor
            return executor
        }
    }
}
