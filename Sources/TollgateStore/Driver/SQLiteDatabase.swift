import Foundation
import GRDB
import Synchronization

/// The embedded default: one SQLite file in WAL mode through GRDB's `DatabasePool`
/// (concurrent readers, one serialized writer) with a busy timeout.
public final class SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    public let path: String
    /// Set by ``close()``: a closed database is unavailable (503), not a programming error (500).
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Large tables (a million machines) are read through a memory map and a 32 MiB page
            // cache per connection rather than a pread per page: a sweep of 100,000 machines
            // touches several indexes per row.
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw Self.translate(error)
        }
        self.path = path
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try requireOpen()
        do {
            return try await pool.read { db in try ConnectionThread.run(body, on: db) }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Every write is serialized by SQLite's one writer, whatever `lock` says.
    public func write<T: Sendable>(lock: WriteLock, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try requireOpen()
        do {
            return try await pool.write { db in try ConnectionThread.run(body, on: db) }
        } catch {
            throw Self.translate(error)
        }
    }

    public func close() async throws {
        closed.store(true, ordering: .releasing)
        try pool.close()
    }

    private func requireOpen() throws {
        if closed.load(ordering: .acquiring) { throw StoreError.unavailable("the database is closed") }
    }

    static func translate(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT:
            return StoreError.duplicate(error.message ?? "constraint violation")
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return StoreError.unavailable("SQLite: \(error.message ?? error.resultCode.description)")
        default:
            return error
        }
    }
}

/// Runs a transaction's async body on the thread of its GRDB connection.
///
/// GRDB runs a transaction as a synchronous closure on its connection's queue, and a connection may
/// only be used there; our transaction bodies are async (PostgreSQL's statements are awaited). A
/// SQLite statement never suspends, so the body is run as a task whose preferred executor is the
/// connection's thread itself: the closure starts the task and runs its jobs in place until it
/// finishes. The body runs start to end on that thread without a hop, as the synchronous bodies did
/// (a task that awaits something else, which no transaction body should, resumes here too).
enum ConnectionThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T, on db: Database) throws -> T {
        let executor = Executor()
        let outcome = Mutex<Result<T, any Error>?>(nil)
        // The connection is only touched by the task's jobs, which run on this thread, inside
        // GRDB's closure (its queue checks hold).
        let connection = Unchecked(db)
        Task(executorPreference: executor) {
            let result: Result<T, any Error>
            do { result = .success(try await body(GRDBExecutor(db: connection.value))) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            executor.wake()
        }
        executor.run { outcome.withLock { $0 != nil } }
        return try outcome.withLock { $0! }.get()
    }

    /// Jobs of one task, run on the thread that calls ``run(until:)``.
    final class Executor: TaskExecutor, Sendable {
        private let jobs = Mutex<[UnownedJob]>([])
        private let signal = DispatchSemaphore(value: 0)

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            jobs.withLock { $0.append(job) }
            signal.signal()
        }

        func wake() { signal.signal() }

        /// Runs the enqueued jobs here, waiting for more, until `finished`.
        func run(until finished: () -> Bool) {
            while !finished() {
                signal.wait()
                while let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                    job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
        }
    }

    struct Unchecked<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}

struct GRDBExecutor: SQLExecutor {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func executeWithNext(_ sql: String, _ arguments: [SQLValue], writing table: String) async throws {
        try await execute(sql, arguments)
    }

    // Errors are translated here, inside the transaction, so that a caller can catch
    // `StoreError.duplicate` and answer with its own error.
    func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
        do {
            try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        } catch {
            throw SQLiteDatabase.translate(error)
        }
    }

    /// One process writes a SQLite file: nobody else to tell.
    func announce(_ topic: ChangeTopic) async throws {}

    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        do {
            return try fetch(sql, arguments)
        } catch {
            throw SQLiteDatabase.translate(error)
        }
    }

    private func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        var result: [SQLRow] = []
        while let row = try rows.next() {
            var values: [String: SQLValue] = [:]
            for (column, value) in zip(row.columnNames, row.databaseValues) {
                switch value.storage {
                case .null: values[column] = .null
                case .int64(let number): values[column] = .integer(number)
                case .string(let text): values[column] = .text(text)
                case .double(let number): values[column] = .integer(Int64(number))
                case .blob(let data): values[column] = .text(String(decoding: data, as: UTF8.self))
                }
            }
            result.append(SQLRow(values: values))
        }
        return result
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: nil
            case .integer(let number): number
            case .text(let text): text
            }
        })
    }
}
