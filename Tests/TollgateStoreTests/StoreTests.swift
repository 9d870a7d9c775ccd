import Foundation
import GRDB
import Testing
import TollgateCore
@testable import TollgateStore

@Suite struct StoreTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
    }

    /// The store under test: a fresh SQLite file, or a fresh schema of the PostgreSQL database in
    /// TOLLGATE_TEST_DATABASE_URL (scripts/with-postgres), so the same contract runs on both.
    func openStore() async throws -> Store {
        if let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"], !url.isEmpty {
            return try await Store.openPostgreSQL(url: url + "?schema=s_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), now: now)
        }
        return try await Store.openSQLite(path: temporaryPath(), now: now)
    }

    func account(_ store: Store) async throws -> Account {
        let account = Account(id: Identifier.make(.account, at: now), name: "A", createdAt: now)
        try await store.write { try $0.accounts.insert(account) }
        return account
    }

    func product(_ accountId: String, code: String) -> Product {
        Product(id: Identifier.make(.product, at: now), accountId: accountId, code: code, name: code, metadata: [:], createdAt: now, updatedAt: now)
    }

    @Test func migrationsRunOnceAndTheFileUsesWAL() async throws {
        let path = temporaryPath()
        _ = try await Store.openSQLite(path: path, now: now)
        let reopened = try await Store.openSQLite(path: path, now: now)
        let versions = try await reopened.read { try $0.sql.query("SELECT version FROM schema_migrations", []) }
        #expect(versions.count == Migrations.all.count)
        let mode = try await reopened.read { try $0.sql.query("PRAGMA journal_mode", []) }
        #expect(mode.first?.string("journal_mode") == "wal")
    }

    @Test func documentsAreScopedToTheirAccount() async throws {
        let store = try await openStore()
        let mine = try await account(store)
        let theirs = try await account(store)
        let item = product(mine.id, code: "engine")
        try await store.write { try $0.products.insert(item) }
        #expect(try await store.read { try $0.products.find(id: item.id, accountId: mine.id) } == item)
        #expect(try await store.read { try $0.products.find(id: item.id, accountId: theirs.id) } == nil)
        #expect(try await store.read { try $0.products.list(accountId: theirs.id, page: PageRequest()) }.items.isEmpty)
    }

    @Test func uniqueColumnsAnswerDuplicateAndRollBackTheTransaction() async throws {
        let store = try await openStore()
        let owner = try await account(store)
        try await store.write { try $0.products.insert(product(owner.id, code: "engine")) }
        await #expect(throws: StoreError.self) {
            try await store.write { session in
                try session.products.insert(product(owner.id, code: "other"))
                try session.products.insert(product(owner.id, code: "engine"))
            }
        }
        #expect(try await store.read { try $0.products.list(accountId: owner.id, page: PageRequest()) }.items.map(\.code) == ["engine"])
    }

    @Test func pagesFollowTheCursorWithoutGapsOrRepeats() async throws {
        let store = try await openStore()
        let owner = try await account(store)
        let codes = (0..<7).map { "p\($0)" }
        try await store.write { session in for code in codes { try session.products.insert(product(owner.id, code: code)) } }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.read { [cursor] in try $0.products.list(accountId: owner.id, page: PageRequest(limit: 3, after: cursor)) }
            seen += page.items.map(\.code)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == codes)
    }

    @Test func auditRecordsExtendTheChainAndTheHead() async throws {
        let store = try await openStore()
        let owner = try await account(store)
        for index in 0..<3 {
            try await store.write { session in
                try session.audit.record(
                    accountId: owner.id, actor: "test", action: "thing.changed", objectType: "thing", objectId: "t\(index)",
                    before: nil as Product?, after: ["n": index], at: now)
            }
        }
        let (events, head) = try await store.read { session in
            (try session.audit.chain(accountId: owner.id), try session.accounts.auditHead(accountId: owner.id))
        }
        #expect(events.map(\.sequence) == [1, 2, 3] && head?.sequence == 3 && head?.hash == events.last?.hash)
        #expect(AuditChain.verify(events, head: head).valid)
    }

    @Test func aReadOnlyFileAnswersUnavailable() async throws {
        let path = temporaryPath()
        let store = try await Store.openSQLite(path: path, now: now)
        let owner = try await account(store)
        try await store.database.close()
        let readOnly = try await Store.open(SQLiteDatabaseReadOnly.open(path), now: now)
        do {
            try await readOnly.write { try $0.products.insert(product(owner.id, code: "x")) }
            Issue.record("a read-only file accepted a write")
        } catch StoreError.unavailable {
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

/// Opens a database file read-only, as a read-only mount would.
enum SQLiteDatabaseReadOnly {
    static func open(_ path: String) throws -> any SQLDatabase {
        try ReadOnlySQLite(path: path)
    }

    final class ReadOnlySQLite: SQLDatabase {
        let queue: DatabaseQueue
        init(path: String) throws {
            var configuration = Configuration()
            configuration.readonly = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
        }
        func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) throws -> T) async throws -> T {
            try await queue.read { try body(GRDBExecutor(db: $0)) }
        }
        func write<T: Sendable>(_ body: @Sendable (any SQLExecutor) throws -> T) async throws -> T {
            do { return try await queue.write { try body(GRDBExecutor(db: $0)) } } catch { throw SQLiteDatabase.translate(error) }
        }
        func close() async throws { try queue.close() }
    }
}

@Suite struct JobTickTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func oneReplicaClaimsEachTick() async throws {
        let store = try await StoreTests().openStore()
        let first = try await store.write { [now] in try $0.jobs.claim("sweep", owner: "a", at: now, every: 10) }
        let second = try await store.write { [now] in try $0.jobs.claim("sweep", owner: "b", at: now.addingTimeInterval(5), every: 10) }
        let later = try await store.write { [now] in try $0.jobs.claim("sweep", owner: "b", at: now.addingTimeInterval(10), every: 10) }
        #expect(first && !second && later)
        let racing = try await withThrowingTaskGroup(of: Bool.self) { group in
            for owner in 0..<8 {
                group.addTask { [now] in try await store.write { try $0.jobs.claim("race", owner: "\(owner)", at: now, every: 10) } }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(racing.filter { $0 }.count == 1)
    }
}

@Suite struct StoreCopierTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aCopyIsCompleteVerifiedAndSafeToRunAgain() async throws {
        let tests = StoreTests()
        let source = try await Store.openSQLite(path: tests.temporaryPath(), now: now)
        let target = try await tests.openStore()
        let owner = try await tests.account(source)
        for code in ["a", "b", "c", "d", "e"] {
            let item = tests.product(owner.id, code: code)
            try await source.write { [now] session in
                try session.products.insert(item)
                try session.audit.record(
                    accountId: owner.id, actor: "t", action: "product.created", objectType: "product", objectId: item.id,
                    before: nil as Product?, after: item, at: now)
            }
        }
        var copier = StoreCopier(source: source, target: target)
        copier.batchSize = 2
        // A first pass over two tables only, as if interrupted; then the whole copy, twice.
        for table in StoreCopier.tables.prefix(3) { try await copier.copy(table) { _, _ in } }
        for _ in 0..<2 {
            for table in StoreCopier.tables { try await copier.copy(table) { _, _ in } }
        }
        let (counts, chains) = try await copier.verify()
        #expect(counts.allSatisfy { $0.source == $0.target })
        #expect(counts.first { $0.table == "audit_events" }?.target == 5)
        #expect(chains.count == 1 && chains[0].verification.valid)
    }
}
