import Foundation
import Synchronization
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateStore

/// On PostgreSQL a change of the signing keys is announced to every other process that follows
/// the database's changes, when it commits; other writes are not announced as key changes.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]?.isEmpty == false, "PostgreSQL only"))
struct ChangeAnnouncementTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func anotherProcessHearsAKeyChangeWhenItCommitsAndOnlyThen() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]) + "?schema=k_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let (writer, follower) = (try await Store.openPostgreSQL(url: url, now: now), try await Store.openPostgreSQL(url: url, now: now))
        let heard = Heard()
        let following = Task { await follower.followChanges(keysChanged: { heard.count.add(1, ordering: .relaxed) }) }
        defer { following.cancel() }
        func wait(until count: Int) async throws {
            for _ in 0..<100 where heard.value < count { try await Task.sleep(for: .milliseconds(20)) }
        }
        // The follower hears one call when it starts listening (for what it may have missed).
        try await wait(until: 1)
        #expect(heard.value == 1)
        let account = Account(id: Identifier.make(.account, at: now), name: "A", createdAt: now)
        let row = SigningKeyTable.Row(id: "kid-1", accountId: account.id, createdAt: now, retiredAt: nil, sealed: "sealed")
        // A rolled-back insert and an ordinary write announce no key change.
        _ = try? await writer.write(lock: .account(account.id)) { session in
            try await session.signingKeys.insert(row)
            throw RolledBack()
        }
        try await writer.write(lock: .account(account.id)) { try await $0.accounts.insert(account) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(heard.value == 1)
        // A committed insert, and then a retirement, each are heard.
        try await writer.write(lock: .account(account.id)) { try await $0.signingKeys.insert(row) }
        try await wait(until: 2)
        #expect(heard.value == 2)
        try await writer.write(lock: .account(account.id)) { try await $0.signingKeys.retire(id: "kid-1", accountId: account.id, at: now) }
        try await wait(until: 3)
        #expect(heard.value == 3)
    }
}

/// Another process's write of one account drops that account's cached objects and no other's;
/// a write of the whole database drops every account's.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]?.isEmpty == false, "PostgreSQL only"))
struct AccountAnnouncementTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func anotherProcessHearsWhichAccountAWriteChanged() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]) + "?schema=g_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let (writer, follower) = (try await Store.openPostgreSQL(url: url, now: now), try await Store.openPostgreSQL(url: url, now: now))
        let following = Task { await follower.followChanges() }
        defer { following.cancel() }
        let (a, b) = (Account(id: "acc_a", name: "A", createdAt: now), Account(id: "acc_b", name: "B", createdAt: now))
        // Listening has begun once the start's catch-up notification has moved the generations.
        for _ in 0..<100 where follower.generation.current(accountId: a.id) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        func generations() -> (UInt64, UInt64) { (follower.generation.current(accountId: a.id), follower.generation.current(accountId: b.id)) }
        func waitForChange(from before: (UInt64, UInt64)) async throws {
            for _ in 0..<100 where generations() == before { try await Task.sleep(for: .milliseconds(20)) }
        }
        var before = generations()
        try await writer.write(lock: .account(a.id)) { try await $0.accounts.insert(a) }
        try await waitForChange(from: before)
        try await Task.sleep(for: .milliseconds(100))
        #expect(generations().0 != before.0 && generations().1 == before.1, "a write of A moved only A's generation")
        before = generations()
        try await writer.write(lock: .license(account: b.id, license: "lic_1")) { try await $0.accounts.insert(b) }
        try await waitForChange(from: before)
        try await Task.sleep(for: .milliseconds(100))
        #expect(generations().0 == before.0 && generations().1 != before.1, "a write of one of B's licenses moved only B's generation")
        before = generations()
        try await writer.write(lock: .everything) { _ = try await $0.accounts.all() }
        try await waitForChange(from: before)
        try await Task.sleep(for: .milliseconds(100))
        #expect(generations().0 != before.0 && generations().1 != before.1, "a write of the whole database moved every generation")
    }
}

/// A transaction that ends by closing its connection (an unavailable database is not rolled
/// back on the same connection) gives the pool a closed connection, never a closing one: the next
/// write goes through.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]?.isEmpty == false, "PostgreSQL only"))
struct ClosedConnectionTests {
    @Test func theWriteAfterAConnectionWasClosedGoesThrough() async throws {
        let store = try await StoreTests().openStore()
        for round in 0..<3 {
            await #expect(throws: StoreError.self) {
                try await store.write(lock: .account("acc_x")) { _ in throw StoreError.unavailable("closed on purpose") }
            }
            let account = Account(id: "acc_\(round)", name: "A", createdAt: Date())
            try await store.write(lock: .account(account.id)) { try await $0.accounts.insert(account) }
        }
        #expect(try await store.read { try await $0.accounts.all().count } == 3)
    }
}

/// How many times the follower heard of a key change.
final class Heard: Sendable {
    let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
}

struct RolledBack: Error {}
