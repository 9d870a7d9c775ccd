import Foundation
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateStore

/// Changes reach the audit chain and the event log in the order they were recorded, per account,
/// on both databases; on PostgreSQL they are appended at `COMMIT` (``ChangeTable``), so a
/// transaction that rolls back leaves nothing, and no pending row outlives its transaction.
@Suite struct ChangeTableTests {
    let tests = StoreTests()

    func change(_ id: String, publishes: Bool = true) -> ChangeTable.Change {
        ChangeTable.Change(
            actor: "t", action: "thing.changed", objectType: "thing", objectId: id, beforeDigest: nil, afterDigest: "d-\(id)",
            publishes: publishes, data: publishes ? "{\"id\":\"\(id)\"}" : nil)
    }

    func logs(_ store: Store, _ accountId: String) async throws -> (chain: [AuditEvent], valid: Bool, events: [EventTable.Event]) {
        try await store.read { session in
            let chain = try await session.audit.chain(accountId: accountId)
            let head = try await session.accounts.auditHead(accountId: accountId)
            let events = try await session.events.list(accountId: accountId, type: nil, objectId: nil, after: nil, page: PageRequest(limit: 100)).items
            return (chain, AuditChain.verify(chain, head: head).valid, events)
        }
    }

    func pendingRows(_ store: Store) async throws -> Int64? {
        try await store.read { session in
            guard session.sql.dialect == .postgresql else { return 0 }
            return try await session.sql.queryOne("SELECT count(*) AS n FROM pending_changes", [])?.int("n")
        }
    }

    @Test func changesOfTwoAccountsInOneTransactionKeepEachAccountsOrder() async throws {
        let store = try await tests.openStore()
        let (first, second) = (try await tests.account(store), try await tests.account(store))
        try await store.write { session in
            try await session.changes.record(accountId: first.id, [change("a1")], at: tests.now)
            try await session.changes.record(accountId: second.id, [change("b1", publishes: false)], at: tests.now)
            try await session.changes.record(accountId: first.id, [change("a2", publishes: false)], at: tests.now)
            try await session.changes.record(accountId: first.id, [change("a3"), change("a4"), change("a5")], at: tests.now)
        }
        let a = try await logs(store, first.id)
        #expect(a.chain.map(\.objectId) == ["a1", "a2", "a3", "a4", "a5"] && a.chain.map(\.sequence) == [1, 2, 3, 4, 5] && a.valid)
        #expect(a.events.map(\.objectId) == ["a1", "a3", "a4", "a5"] && a.events.map(\.sequence) == [1, 2, 3, 4])
        #expect(a.events.first?.data == .object(["id": .string("a1")]))
        let b = try await logs(store, second.id)
        #expect(b.chain.map(\.objectId) == ["b1"] && b.valid && b.events.isEmpty)
        // The next transaction chains onto the committed head.
        try await store.write { try await $0.changes.record(accountId: first.id, [change("a6")], at: tests.now) }
        let again = try await logs(store, first.id)
        #expect(again.chain.map(\.sequence) == [1, 2, 3, 4, 5, 6] && again.valid && again.events.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try await pendingRows(store) == 0)
    }

    @Test func aTransactionThatRollsBackLeavesNoEntry() async throws {
        struct Refused: Error {}
        let store = try await tests.openStore()
        let owner = try await tests.account(store)
        await #expect(throws: Refused.self) {
            try await store.write { session in
                try await session.changes.record(accountId: owner.id, [change("gone")], at: tests.now)
                _ = try await session.sql.query("SELECT 1 AS one", [])
                throw Refused()
            }
        }
        try await store.write { try await $0.changes.record(accountId: owner.id, [change("kept")], at: tests.now) }
        let result = try await logs(store, owner.id)
        #expect(result.chain.map(\.objectId) == ["kept"] && result.chain.first?.sequence == 1 && result.valid)
        #expect(result.events.map(\.sequence) == [1])
        #expect(try await pendingRows(store) == 0)
    }

    /// A change recorded before a statement rides with it, and the statement answers as alone.
    @Test func theStatementAChangeRidesWithAnswersAsAlone() async throws {
        let store = try await tests.openStore()
        let owner = try await tests.account(store)
        let answers = try await store.write { session in
            try await session.changes.record(accountId: owner.id, [change("x")], at: tests.now)
            let first = try await session.sql.query("WITH numbers AS (SELECT 2 AS n) SELECT n FROM numbers", []).first?.int("n")
            try await session.changes.record(accountId: owner.id, [change("y")], at: tests.now)
            let second = try await session.sql.query("SELECT name FROM accounts WHERE id = ?", [.text(owner.id)]).first?.string("name")
            return (first, second)
        }
        #expect(answers.0 == 2 && answers.1 == "A")
        let result = try await logs(store, owner.id)
        #expect(result.chain.map(\.objectId) == ["x", "y"] && result.valid && result.events.map(\.sequence) == [1, 2])
    }

    /// Migration 13 rebuilds SQLite's logs without rowid: what was in them stays, in order.
    @Test func compactingTheLogsKeepsEveryEntry() async throws {
        let store = try await tests.openStore()
        let owner = try await tests.account(store)
        try await store.write { try await $0.changes.record(accountId: owner.id, [change("a"), change("b", publishes: false), change("c")], at: tests.now) }
        let before = try await logs(store, owner.id)
        try await store.write(lock: .everything) { try await CompactLogsMigration.run($0.sql, now: 0) }
        try await store.write { try await $0.changes.record(accountId: owner.id, [change("d")], at: tests.now) }
        let after = try await logs(store, owner.id)
        #expect(after.chain.prefix(3).map(\.hash) == before.chain.map(\.hash) && after.valid)
        #expect(after.chain.map(\.objectId) == ["a", "b", "c", "d"] && after.events.map(\.objectId) == ["a", "c", "d"])
        #expect(after.events.map(\.sequence) == [1, 2, 3] && after.events.first?.id == before.events.first?.id)
    }

    @Test func waitingInsertsJoinOnlyStatementsThatCanTakeThem() {
        let insert = PostgreSQLExecutor.Waiting(sql: "INSERT INTO p (a) VALUES (?)", arguments: [.integer(1)], table: "p")
        let other = PostgreSQLExecutor.Waiting(sql: "INSERT INTO q (a) VALUES (?)", arguments: [.integer(2)], table: "q")
        #expect(
            PostgreSQLExecutor.combining([insert], into: " SELECT * FROM machines WHERE id = ?")
                == "WITH waiting_0 AS (INSERT INTO p (a) VALUES (?)) SELECT * FROM machines WHERE id = ?")
        #expect(
            PostgreSQLExecutor.combining([insert, other], into: "with x AS (SELECT 1) UPDATE t SET a = 1")
                == "WITH waiting_0 AS (INSERT INTO p (a) VALUES (?)), waiting_1 AS (INSERT INTO q (a) VALUES (?)), x AS (SELECT 1) UPDATE t SET a = 1")
        #expect(
            PostgreSQLExecutor.combining([insert], into: "WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r")
                == "WITH RECURSIVE waiting_0 AS (INSERT INTO p (a) VALUES (?)), r AS (SELECT 1) SELECT * FROM r")
        #expect(PostgreSQLExecutor.combining([insert], into: "COMMIT") == nil)
        #expect(PostgreSQLExecutor.combining([insert], into: "CREATE TABLE t (a BIGINT)") == nil)
        #expect(PostgreSQLExecutor.combining([insert], into: "INSERT INTO p (a) VALUES (?)") == nil)
        #expect(PostgreSQLExecutor.combining([insert, insert], into: "SELECT 1") == nil)
    }
}
