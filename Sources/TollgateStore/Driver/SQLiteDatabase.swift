import Foundation
import GRDB
import Synchronization

/// The embedded default: one SQLite file in WAL mode through GRDB's `DatabasePool`
/// (concurrent readers, one serialized writer) with a busy timeout.
///
/// Writes are committed in groups. A write waits in a queue; the writer takes every write that
/// is waiting (up to ``maximumGroup``) and runs them one after another in one transaction, each
/// in a savepoint of its own, and commits once. A write that throws rolls back to its savepoint
/// and only it fails; the others commit. Nothing is acknowledged before the commit, and when the
/// commit (or the transaction) fails, every write of the group fails with it, so a write is
/// still all or nothing and an acknowledged write is committed. Without concurrent writes a
/// group is one write, as before. With them, the pages a group changes in common (the account's
/// row, the ends of the logs and of the machines' indexes) reach the WAL once per group instead
/// of once per write: measured with `scripts/bench/machines`, an activation changed about 11
/// pages of 4 KiB, and the writer's thread spent most of its time writing them and running
/// statements (BENCHMARKS.md, issue 11).
public final class SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    public let path: String
    /// Set by ``close()``: a closed database is unavailable (503), not a programming error (500).
    private let closed = Atomic<Bool>(false)
    /// Writes waiting for the writer, in arrival order.
    private let waiting = Mutex<[GroupedWrite]>([])
    /// The most writes committed together: bounds how long the first write of a group waits for
    /// the others' bodies.
    static let maximumGroup = 64
    /// Transactions committed by ``write(lock:_:)`` (tests check how writes were grouped).
    let groupsCommitted = Atomic<Int>(0)
    /// Writes waiting for the writer (tests).
    var waitingWrites: Int { waiting.withLock { $0.count } }

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

    /// Every write is serialized by SQLite's one writer, whatever `lock` says, and committed with
    /// the writes waiting beside it (see the type's documentation).
    public func write<T: Sendable>(lock: WriteLock, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try requireOpen()
        let result = GroupedWrite.Slot<T>()
        return try await withCheckedThrowingContinuation { continuation in
            let write = GroupedWrite(
                run: { sql in result.store(try await body(sql)) },
                finish: { error in
                    if let error { continuation.resume(throwing: Self.translate(error)) } else { continuation.resume(returning: result.take()) }
                })
            waiting.withLock { $0.append(write) }
            pool.asyncWriteWithoutTransaction { db in self.commitWaiting(db) }
        }
    }

    /// Runs the writes waiting (up to ``maximumGroup``) in one transaction on the writer's
    /// connection. Every write schedules a call; a call that finds the queue emptied by an
    /// earlier one returns at once.
    private func commitWaiting(_ db: Database) {
        let group = waiting.withLock { queue -> [GroupedWrite] in
            let count = min(queue.count, Self.maximumGroup)
            defer { queue.removeFirst(count) }
            return Array(queue.prefix(count))
        }
        guard !group.isEmpty else { return }
        let outcomes: [(any Error)?]
        do {
            try db.beginTransaction(.immediate)
            outcomes = try ConnectionThread.run(on: db) { sql in
                var outcomes: [(any Error)?] = []
                for write in group {
                    try sql.savepoint("tollgate_write")
                    do {
                        try await write.run(sql)
                        try sql.releaseSavepoint("tollgate_write")
                        outcomes.append(nil)
                    } catch {
                        // SQLite ends the whole transaction on some errors (a full disk, I/O):
                        // then no write of the group can commit.
                        guard sql.db.isInsideTransaction else { throw error }
                        try sql.rollbackToSavepoint("tollgate_write")
                        outcomes.append(error)
                    }
                }
                return outcomes
            }
            try db.commit()
            groupsCommitted.add(1, ordering: .relaxed)
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            for write in group { write.finish(error) }
            return
        }
        for (write, error) in zip(group, outcomes) { write.finish(error) }
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
        try run(on: db) { try await body($0) }
    }

    static func run<T: Sendable>(on db: Database, _ body: @escaping @Sendable (GRDBExecutor) async throws -> T) throws -> T {
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

    /// Savepoints of a group commit (``SQLiteDatabase``), through cached statements: GRDB's
    /// `inSavepoint` compiles its statements on every call.
    func savepoint(_ name: String) throws { try db.cachedStatement(sql: "SAVEPOINT \(name)").execute() }
    func releaseSavepoint(_ name: String) throws { try db.cachedStatement(sql: "RELEASE SAVEPOINT \(name)").execute() }
    func rollbackToSavepoint(_ name: String) throws {
        try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT \(name)").execute()
        try releaseSavepoint(name)
    }

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

/// A write waiting for a group commit (``SQLiteDatabase``): its body, run on the writer's
/// connection, and what answers its caller once the group has committed or failed.
struct GroupedWrite: Sendable {
    let run: @Sendable (GRDBExecutor) async throws -> Void
    let finish: @Sendable ((any Error)?) -> Void

    /// The result of a write's body, kept until the group commits.
    final class Slot<T: Sendable>: Sendable {
        private let value = Mutex<T?>(nil)
        func store(_ result: T) { value.withLock { $0 = result } }
        func take() -> T { value.withLock { $0.take()! } }
    }
}
