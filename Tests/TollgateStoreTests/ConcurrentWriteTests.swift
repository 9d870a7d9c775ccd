import Foundation
import Synchronization
import Testing
@testable import TollgateStore

/// SQLite commits concurrent writes in groups (``SQLiteDatabase``): each keeps its own outcome,
/// what a write that throws did is rolled back alone, and when the group's transaction ends under
/// it every write of the group fails and none is committed.
@Suite struct ConcurrentWriteTests {
    struct Refused: Error, Equatable { let index: Int }

    func database() throws -> SQLiteDatabase {
        try SQLiteDatabase(path: FileManager.default.temporaryDirectory.appendingPathComponent("group-\(UUID().uuidString).sqlite").path)
    }

    /// Holds the writer with a write of 0 until `count` writes wait behind it, then lets it commit:
    /// the waiting ones then form one group. Returns once the writer is held.
    func holdingTheWriter(_ database: SQLiteDatabase, until count: Int) async -> Task<Void, any Error> {
        let held = Held()
        let holder = Task {
            try await database.write { sql in
                try await sql.execute("INSERT INTO t (n) VALUES (0)")
                held.value.store(true, ordering: .releasing)
                // A transaction body should not block; this one blocks the writer on purpose, bounded.
                for _ in 0..<500 where database.waitingWrites < count { usleep(10_000) }
            }
        }
        while !held.value.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) }
        return holder
    }

    final class Held: Sendable { let value = Atomic<Bool>(false) }

    func insert(_ database: SQLiteDatabase, _ n: Int, then: (@Sendable (any SQLExecutor) async throws -> Void)? = nil) -> Task<Void, any Error> {
        Task {
            try await database.write { sql in
                try await sql.execute("INSERT INTO t (n) VALUES (?)", [.integer(Int64(n))])
                try await then?(sql)
            }
        }
    }

    func stored(_ database: SQLiteDatabase) async throws -> [Int64] {
        try await database.read { try await $0.query("SELECT n FROM t ORDER BY n", []) }.compactMap { $0.int("n") }
    }

    @Test func aWriteThatThrowsFailsAloneInItsGroup() async throws {
        let database = try database()
        try await database.write { try await $0.execute("CREATE TABLE t (n BIGINT NOT NULL UNIQUE)") }
        let before = database.groupsCommitted.load(ordering: .relaxed)
        let holder = await holdingTheWriter(database, until: 3)
        let writes = [insert(database, 1), insert(database, 2) { _ in throw Refused(index: 2) }, insert(database, 3)]
        try await holder.value
        try await writes[0].value
        await #expect(throws: Refused(index: 2)) { try await writes[1].value }
        try await writes[2].value
        #expect(try await stored(database) == [0, 1, 3])
        // The holder's transaction, then one for the three.
        #expect(database.groupsCommitted.load(ordering: .relaxed) - before == 2)
    }

    @Test func aGroupWhoseTransactionEndsFailsWhole() async throws {
        let database = try database()
        try await database.write { try await $0.execute("CREATE TABLE t (n BIGINT NOT NULL UNIQUE)") }
        let holder = await holdingTheWriter(database, until: 3)
        // The second write ends the transaction under the group (as SQLite does on a full disk).
        let writes = [insert(database, 1), insert(database, 2) { try await $0.execute("ROLLBACK") }, insert(database, 3)]
        try await holder.value
        for write in writes { await #expect(throws: (any Error).self) { try await write.value } }
        #expect(try await stored(database) == [0])
        // The writer goes on.
        try await insert(database, 4).value
        #expect(try await stored(database) == [0, 4])
    }

    @Test func concurrentWritesKeepTheirOwnOutcomes() async throws {
        let database = try database()
        try await database.write { try await $0.execute("CREATE TABLE t (n BIGINT NOT NULL UNIQUE)") }
        let outcomes = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for index in 0..<300 {
                group.addTask {
                    do {
                        return (index, .success(try await database.write { sql in
                            try await sql.execute("INSERT INTO t (n) VALUES (?)", [.integer(Int64(index))])
                            // Every third write throws after its insert; every fifth hits the unique constraint.
                            if index % 3 == 0 { throw Refused(index: index) }
                            if index % 5 == 0 { try await sql.execute("INSERT INTO t (n) VALUES (?)", [.integer(Int64(index))]) }
                            return index * 2
                        }))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var outcomes: [Int: Result<Int, any Error>] = [:]
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        for (index, outcome) in outcomes {
            switch outcome {
            case .success(let value): #expect(value == index * 2 && index % 3 != 0 && index % 5 != 0)
            case .failure(let error as Refused): #expect(error.index == index && index % 3 == 0)
            case .failure(let error as StoreError): #expect(index % 5 == 0 && index % 3 != 0, "\(error)")
            case .failure(let error): Issue.record("unexpected \(error)")
            }
        }
        let stored = try await database.read { try await $0.query("SELECT n FROM t ORDER BY n", []) }.compactMap { $0.int("n") }
        #expect(stored == (0..<300).filter { $0 % 3 != 0 && $0 % 5 != 0 }.map(Int64.init))
    }
}
