import Foundation
import GRDB
import Testing
import TollgateDomain
import TollgateFormats
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
        try await store.write { try await $0.accounts.insert(account) }
        return account
    }

    func product(_ accountId: String, code: String) -> Product {
        Product(id: Identifier.make(.product, at: now), accountId: accountId, code: code, name: code, metadata: [:], createdAt: now, updatedAt: now)
    }

    /// Migration 8 turns a stored policy of the four fixed limits into vendor limits of the same
    /// codes and puts the codes it grants into its product's catalogue; migration 15 adds the
    /// enforcement and rank, 16 the telemetry opt-in, 26 the renewal reminders.
    @Test func vendorLimitsMigrationRewritesStoredPoliciesAndFillsTheCatalogue() async throws {
        let store = try await openStore()
        let account = try await account(store)
        let product = product(account.id, code: "old")
        let old = #"{"accountId":"\#(account.id)","cloudDeployment":true,"clusterDrainSeconds":3600,"createdAt":1800000000000,"deadMachineStrategy":"deactivate","durationDays":365,"entitlements":["*","core","sso"],"expirationStrategy":"keep-read-only","gracePeriodDays":14,"heartbeatGraceSeconds":120,"heartbeatIntervalSeconds":600,"id":"pol_old","limits":{"concurrentExecutions":100,"executionsPerMonth":null,"maxWorkflows":null,"requestsPerSecond":1000},"machineBinding":"floating","metadata":{},"name":"Enterprise","offlineGraceDays":30,"productId":"\#(product.id)","requireHeartbeat":true,"resurrectionWindowSeconds":3600,"tokenLifetimeMinutes":15,"updatedAt":1800000000000}"#
        try await store.write { session in
            try await session.products.insert(product)
            try await session.sql.execute(
                "INSERT INTO policies (id, account_id, product_id, data) VALUES ('pol_old', ?, ?, ?)", [.text(account.id), .text(product.id), .text(old)])
            try await VendorLimitsMigration.run(session.sql, now: 1_800_000_000_000)
            try await Migrations.dataSteps[15]!(session.sql, 1_800_000_000_000)
            try await Migrations.dataSteps[16]!(session.sql, 1_800_000_000_000)
            try await Migrations.dataSteps[26]!(session.sql, 1_800_000_000_000)
        }
        let policy = try #require(try await store.read { try await $0.policies.find(id: "pol_old", accountId: account.id) })
        #expect(policy.limits == ["concurrentExecutions": .limited(100), "executionsPerMonth": .unlimited, "maxWorkflows": .unlimited, "requestsPerSecond": .limited(1000)])
        #expect(policy.limitPeriods == ["executionsPerMonth": .month] && policy.leaseLimit == "concurrentExecutions")
        // Migration 15: no limit blocks, and the tier ranks by age; 16: no telemetry.
        #expect(policy.limitEnforcement == [:] && policy.rank == 0 && policy.telemetry == false)
        #expect(policy.renewalReminderDays == [30, 7, 1])
        let codes = try await store.read { try await $0.entitlements.codes(accountId: account.id, productId: product.id) }
        #expect(codes == ["core", "sso"])
    }

    /// Migration 16 gives a stored meter `percentiles` false and makes it a usage meter.
    @Test func meterMigrationKeepsNoDistribution() async throws {
        let store = try await openStore()
        let account = try await account(store)
        let old = #"{"accountId":"\#(account.id)","aggregation":"sum","code":"gpu-hours","createdAt":1800000000000,"description":"","filters":{},"groupBy":[],"id":"mtr_old","name":"GPU","updatedAt":1800000000000}"#
        try await store.write { session in
            try await session.sql.execute(
                "INSERT INTO meters (id, account_id, code, data) VALUES ('mtr_old', ?, 'gpu-hours', ?)", [.text(account.id), .text(old)])
            try await Migrations.dataSteps[16]!(session.sql, 1_800_000_000_000)
        }
        let meter = try #require(try await store.read { try await $0.meters.find(id: "mtr_old", accountId: account.id) })
        #expect(meter.percentiles == false && meter.kind == .usage && meter.allowedProperties.isEmpty)
        #expect(meter.aggregation == .sum && meter.property == nil)
    }

    @Test func migrationsRunOnceAndTheFileUsesWAL() async throws {
        let path = temporaryPath()
        _ = try await Store.openSQLite(path: path, now: now)
        let reopened = try await Store.openSQLite(path: path, now: now)
        let versions = try await reopened.read { try await $0.sql.query("SELECT version FROM schema_migrations", []) }
        #expect(versions.count == Migrations.all.count)
        let mode = try await reopened.read { try await $0.sql.query("PRAGMA journal_mode", []) }
        #expect(mode.first?.string("journal_mode") == "wal")
    }

    @Test func documentsAreScopedToTheirAccount() async throws {
        let store = try await openStore()
        let mine = try await account(store)
        let theirs = try await account(store)
        let item = product(mine.id, code: "engine")
        try await store.write { try await $0.products.insert(item) }
        #expect(try await store.read { try await $0.products.find(id: item.id, accountId: mine.id) } == item)
        #expect(try await store.read { try await $0.products.find(id: item.id, accountId: theirs.id) } == nil)
        #expect(try await store.read { try await $0.products.list(accountId: theirs.id, page: PageRequest()) }.items.isEmpty)
    }

    @Test func uniqueColumnsAnswerDuplicateAndRollBackTheTransaction() async throws {
        let store = try await openStore()
        let owner = try await account(store)
        try await store.write { try await $0.products.insert(product(owner.id, code: "engine")) }
        await #expect(throws: StoreError.self) {
            try await store.write { session in
                try await session.products.insert(product(owner.id, code: "other"))
                try await session.products.insert(product(owner.id, code: "engine"))
            }
        }
        #expect(try await store.read { try await $0.products.list(accountId: owner.id, page: PageRequest()) }.items.map(\.code) == ["engine"])
    }

    @Test func pagesFollowTheCursorWithoutGapsOrRepeats() async throws {
        let store = try await openStore()
        let owner = try await account(store)
        let codes = (0..<7).map { "p\($0)" }
        try await store.write { session in for code in codes { try await session.products.insert(product(owner.id, code: code)) } }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.read { [cursor] in try await $0.products.list(accountId: owner.id, page: PageRequest(limit: 3, after: cursor)) }
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
                try await session.audit.record(
                    accountId: owner.id, actor: "test", action: "thing.changed", objectType: "thing", objectId: "t\(index)",
                    before: nil as Product?, after: ["n": index], at: now)
            }
        }
        let (events, head) = try await store.read { session in
            await (try session.audit.chain(accountId: owner.id), try session.accounts.auditHead(accountId: owner.id))
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
            try await readOnly.write { try await $0.products.insert(product(owner.id, code: "x")) }
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
        func read<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
            try await queue.read { try ConnectionThread.run(body, on: $0) }
        }
        func write<T: Sendable>(lock: WriteLock, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
            do { return try await queue.write { try ConnectionThread.run(body, on: $0) } } catch { throw SQLiteDatabase.translate(error) }
        }
        func close() async throws { try queue.close() }
    }
}

@Suite struct JobTableTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    typealias Job = JobTable.Job

    func claim(_ store: Store, _ owner: String, at time: Date, kinds: [String] = ["sweep", "mail"], lease: TimeInterval = 60) async throws -> [Job] {
        try await store.write { try await $0.jobs.claim(kinds: kinds, owner: owner, at: time, lease: lease, limit: 10) }
    }

    @Test func aRecurringJobIsClaimedByOneRunnerAndComesBackAfterItsInterval() async throws {
        let store = try await StoreTests().openStore()
        for _ in 0..<2 { try await store.write { [now] in try await $0.jobs.schedule("sweep", every: 10, firstRun: now, at: now) } }
        #expect(try await store.read { try await $0.jobs.counts() } == [.queued: 1])
        let racing = try await withThrowingTaskGroup(of: [Job].self) { group in
            for owner in 0..<8 { group.addTask { [now] in try await claim(store, "\(owner)", at: now) } }
            return try await group.reduce(into: [Job]()) { $0 += $1 }
        }
        #expect(racing.count == 1 && racing.first?.attempts == 1 && racing.first?.state == .running)
        let job = try #require(racing.first)
        try await store.write { [now] in try await $0.jobs.complete(job, at: now.addingTimeInterval(1)) }
        #expect(try await claim(store, "a", at: now.addingTimeInterval(10.9)).isEmpty)
        let due = try await store.read { [now] in try await $0.jobs.anyDue(kinds: ["sweep"], at: now.addingTimeInterval(11)) }
        #expect(due)
        let next = try await claim(store, "a", at: now.addingTimeInterval(11))
        #expect(next.map(\.id) == [job.id] && next.first?.attempts == 1)
    }

    @Test func aClaimWhoseLeaseRanOutCannotCompleteAndItsWorkRollsBack() async throws {
        let store = try await StoreTests().openStore()
        let account = try await StoreTests().account(store)
        try await store.write { [now] in try await $0.jobs.enqueue(.init(kind: "mail", dedupeKey: "mail:1", runAt: now), at: now) }
        let first = try #require(try await claim(store, "a", at: now, lease: 30).first)
        #expect(try await claim(store, "b", at: now.addingTimeInterval(29)).isEmpty)
        let second = try #require(try await claim(store, "b", at: now.addingTimeInterval(30)).first)
        #expect(second.id == first.id && second.attempts == 2 && second.leaseOwner == "b")
        // The first runner's work and completion share a transaction: the completion fails, the work goes.
        await #expect(throws: JobLeaseLost.self) {
            try await store.write { [now] session in
                try await session.products.insert(StoreTests().product(account.id, code: "from-a"))
                try await session.jobs.complete(first, at: now.addingTimeInterval(31))
            }
        }
        #expect(try await store.read { try await $0.products.list(accountId: account.id, page: PageRequest(limit: 10, after: nil)).items }.isEmpty)
        let extended = try await store.write { [now] in try await $0.jobs.extendLease(first, until: now.addingTimeInterval(99)) }
        #expect(!extended)
        try await store.write { [now] in try await $0.jobs.complete(second, at: now.addingTimeInterval(31)) }
        #expect(try await store.read { try await $0.jobs.find(id: first.id)?.state } == .succeeded)
        // Its dedupe key stays taken: the same work is not enqueued twice.
        let again = try await store.write { [now] in try await $0.jobs.enqueue(.init(kind: "mail", dedupeKey: "mail:1", runAt: now), at: now) }
        #expect(!again)
    }

    @Test func aFailingJobIsRetriedUntilItDiesButARecurringOneNeverDies() async throws {
        let store = try await StoreTests().openStore()
        try await store.write { [now] in
            try await $0.jobs.enqueue(.init(kind: "mail", maxAttempts: 3, runAt: now), at: now)
            try await $0.jobs.schedule("sweep", every: 10, firstRun: now, at: now)
        }
        var time = now
        var states: [String: [Job.State]] = [:]
        for _ in 0..<4 {
            for job in try await claim(store, "a", at: time) {
                let state = try await store.write { [time] in try await $0.jobs.fail(job, error: "boom \(job.attempts)", retryAt: time.addingTimeInterval(5), at: time) }
                states[job.kind, default: []].append(try #require(state))
            }
            time = time.addingTimeInterval(5)
        }
        #expect(states["mail"] == [.queued, .queued, .dead])
        #expect(states["sweep"] == [.queued, .queued, .queued, .queued])
        let dead = try #require(try await store.read { try await $0.jobs.counts() }[.dead])
        #expect(dead == 1)
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
                try await session.products.insert(item)
                try await session.audit.record(
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
