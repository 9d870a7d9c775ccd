import Foundation
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateStore

/// On PostgreSQL, writes are serialized per account: while one account's transaction holds its
/// lock, other accounts' writes go through, and that account's next write and a write of the
/// whole database wait. (SQLite has one writer for every write: nothing to show there.)
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]?.isEmpty == false, "PostgreSQL only"))
struct WriteLockTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func account(_ name: String) -> Account {
        Account(id: Identifier.make(.account, at: now), name: name, createdAt: now)
    }

    @Test func writesOfTwoAccountsProceedWhileATransactionOfAThirdHoldsItsLock() async throws {
        let store = try await StoreTests().openStore()
        let (held, third) = (account("C"), account("C, later"))
        let (entered, enter) = AsyncStream<Void>.makeStream()
        let holding = Task {
            try await store.write(lock: .account(held.id)) { session in
                try await session.accounts.insert(held)
                enter.yield()
                try await Task.sleep(for: .seconds(2))
            }
        }
        for await _ in entered { break }
        let started = ContinuousClock.now
        async let first: Void = store.write(lock: .account("acc_a")) { try await $0.accounts.insert(account("A")) }
        async let second: Void = store.write(lock: .account("acc_b")) { try await $0.accounts.insert(account("B")) }
        _ = try await (first, second)
        let others = ContinuousClock.now - started
        async let same: Void = store.write(lock: .account(held.id)) { try await $0.accounts.insert(third) }
        async let everything: Void = store.write(lock: .everything) { _ = try await $0.accounts.all() }
        _ = try await (same, everything)
        let waited = ContinuousClock.now - started
        try await holding.value
        #expect(others < .milliseconds(1_000), "the other accounts' writes waited \(others)")
        #expect(waited >= .milliseconds(1_500), "the held account's next write and a whole-database write waited only \(waited)")
        #expect(try await store.read { try await $0.accounts.all().count } == 4)
    }

    /// Within one account, a license's transaction holds off that license's next write and the
    /// account's whole-account writes, but not another license's write.
    @Test func writesOfAnotherLicenseOfTheAccountProceedWhileOneLicensesTransactionHoldsIt() async throws {
        let store = try await StoreTests().openStore()
        let owner = account("A")
        try await store.write { try await $0.accounts.insert(owner) }
        let (entered, enter) = AsyncStream<Void>.makeStream()
        let holding = Task {
            try await store.write(lock: .license(account: owner.id, license: "lic_held")) { session in
                try await session.sql.execute("UPDATE accounts SET name = name WHERE id = 'acc_none'", [])
                enter.yield()
                try await Task.sleep(for: .seconds(2))
            }
        }
        for await _ in entered { break }
        let started = ContinuousClock.now
        _ = try await store.write(lock: .license(account: owner.id, license: "lic_other")) { session in
            try await session.changes.record(
                accountId: owner.id, [.init(actor: "t", action: "x.y", objectType: "x", objectId: "1", beforeDigest: nil, afterDigest: nil, publishes: false)],
                at: now)
        }
        let other = ContinuousClock.now - started
        async let same: Void = store.write(lock: .license(account: owner.id, license: "lic_held")) { _ in }
        async let whole: Void = store.write(lock: .account(owner.id)) { _ in }
        _ = try await (same, whole)
        let waited = ContinuousClock.now - started
        try await holding.value
        #expect(other < .milliseconds(1_000), "another license's write waited \(other)")
        #expect(waited >= .milliseconds(1_500), "the held license's next write and the account's write waited only \(waited)")
    }

    /// Changes of many licenses of one account at once still make one gap-free event sequence
    /// and an intact audit chain: the logs are appended under the account row's lock.
    @Test func concurrentChangesOfOneAccountsLicensesKeepItsLogsInOrder() async throws {
        let store = try await StoreTests().openStore()
        let owner = account("A")
        try await store.write { try await $0.accounts.insert(owner) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { () async throws -> Void in
                    _ = try await store.write(lock: .license(account: owner.id, license: "lic_\(index % 8)")) { session in
                        try await session.changes.record(
                            accountId: owner.id,
                            [.init(actor: "t", action: "x.changed", objectType: "x", objectId: "\(index)", beforeDigest: nil, afterDigest: nil)], at: now)
                    }
                }
            }
            try await group.waitForAll()
        }
        let (chain, events) = try await store.read { session in
            await (try session.audit.chain(accountId: owner.id), try session.events.list(accountId: owner.id, type: nil, objectId: nil, after: nil, page: PageRequest(limit: 100)).items)
        }
        #expect(chain.map(\.sequence) == Array(1...40))
        let head = try await store.read { try await $0.accounts.auditHead(accountId: owner.id) }
        #expect(AuditChain.verify(chain, head: head).valid)
        #expect(events.map(\.sequence) == Array(1...40))
    }
}
