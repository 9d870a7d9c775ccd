import Foundation
import Testing
@testable import TollgateStore

/// Concurrent SQLite writes keep their own outcomes: what a write that throws did is rolled back
/// alone, and each write returns its own value. (It guarded a group-commit experiment, measured and
/// dropped: see BENCHMARKS.md, and guards any later one.)
@Suite struct ConcurrentWriteTests {
    struct Refused: Error, Equatable { let index: Int }

    @Test func concurrentWritesKeepTheirOwnOutcomes() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("group-\(UUID().uuidString).sqlite").path
        let database = try SQLiteDatabase(path: path)
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
