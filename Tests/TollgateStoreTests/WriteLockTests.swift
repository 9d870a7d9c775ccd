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
                try session.accounts.insert(held)
                enter.yield()
                Thread.sleep(forTimeInterval: 2)
            }
        }
        for await _ in entered { break }
        let started = ContinuousClock.now
        async let first: Void = store.write(lock: .account("acc_a")) { try $0.accounts.insert(account("A")) }
        async let second: Void = store.write(lock: .account("acc_b")) { try $0.accounts.insert(account("B")) }
        _ = try await (first, second)
        let others = ContinuousClock.now - started
        async let same: Void = store.write(lock: .account(held.id)) { try $0.accounts.insert(third) }
        async let everything: Void = store.write(lock: .everything) { _ = try $0.accounts.all() }
        _ = try await (same, everything)
        let waited = ContinuousClock.now - started
        try await holding.value
        #expect(others < .milliseconds(1_000), "the other accounts' writes waited \(others)")
        #expect(waited >= .milliseconds(1_500), "the held account's next write and a whole-database write waited only \(waited)")
        #expect(try await store.read { try $0.accounts.all().count } == 4)
    }
}
