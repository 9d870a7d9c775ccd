import Foundation
import GRDB
import Synchronization

/// The embedded default: one SQLite file in WAL mode through GRDB's `DatabasePool`
/// (concurrent readers, one serialized writer) with a busy timeout.
///
/// Writes are group-committed: writes that arrive while one transaction runs wait for the next,
/// and run together in it, each in its own savepoint. A write whose body throws rolls back to
/// its savepoint alone, and every write of the group returns only after the one commit. A
/// commit that fails fails them all. Under load this turns many small commits (each with its
/// WAL frames for the shared index and audit-head pages) into few.
public final class SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    public let path: String
    /// The most writes one transaction takes, which bounds how long the first of them waits.
    static let groupLimit = 64

    /// A write waiting for its group: runs its body in a savepoint and returns what to tell its
    /// caller once the group committed; `fail` tells it the group did not commit.
    struct PendingWrite: Sendable {
        let run: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }
    private let queue = Mutex<(writes: [PendingWrite], draining: Bool)>(([], false))

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

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        do {
            return try await pool.read { db in try body(GRDBExecutor(db: db)) }
        } catch {
            throw Self.translate(error)
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let write = PendingWrite(
                run: { db in
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try body(GRDBExecutor(db: db))
                            return .commit
                        }
                        let result = value!
                        return { continuation.resume(returning: result) }
                    } catch {
                        let translated = Self.translate(error)
                        return { continuation.resume(throwing: translated) }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let lead = queue.withLock { queue -> Bool in
                queue.writes.append(write)
                defer { queue.draining = true }
                return !queue.draining
            }
            if lead { Task { await self.drain() } }
        }
    }

    /// Runs waiting writes, a group per transaction, until none is left.
    private func drain() async {
        while true {
            let group = queue.withLock { queue -> [PendingWrite] in
                let group = Array(queue.writes.prefix(Self.groupLimit))
                queue.writes.removeFirst(group.count)
                if group.isEmpty { queue.draining = false }
                return group
            }
            if group.isEmpty { return }
            do {
                let answers = try await pool.write { db in group.map { $0.run(db) } }
                for answer in answers { answer() }
            } catch {
                let translated = Self.translate(error)
                for write in group { write.fail(translated) }
            }
        }
    }

    public func close() async throws { try pool.close() }

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

struct GRDBExecutor: SQLExecutor {
    let db: Database

    // Errors are translated here, inside the transaction, so that a caller can catch
    // `StoreError.duplicate` and answer with its own error.
    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        do {
            try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        } catch {
            throw SQLiteDatabase.translate(error)
        }
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
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
