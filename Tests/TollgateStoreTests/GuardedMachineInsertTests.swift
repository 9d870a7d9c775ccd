import Foundation
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateStore

/// An activation's write in one statement (``Store/insertMachine(_:change:ifStill:seatLimit:)``):
/// on PostgreSQL it inserts only while what the caller read still holds, checked under the
/// license's lock on what committed before it got the lock; on SQLite it declines.
@Suite struct GuardedMachineInsertTests {
    let tests = StoreTests()
    var now: Date { tests.now }

    struct Setup {
        var store: Store
        var account: Account
        var license: License
    }

    func setUp() async throws -> Setup {
        let store = try await tests.openStore()
        let account = try await tests.account(store)
        let product = tests.product(account.id, code: "cad")
        let policy = try PolicyDraft(productId: product.id, name: "Pro", maxMachines: 2, entitlements: [], limits: [:])
            .validated(id: Identifier.make(.policy, at: now), accountId: account.id, createdAt: now, now: now)
        let license = License(
            id: Identifier.make(.license, at: now), accountId: account.id, productId: product.id, policyId: policy.id, customerId: "cus_1", key: "",
            keyId: "00000000", state: .active, expiresAt: nil, limitOverrides: [:], extraEntitlements: [], metadata: [:], revocationVersion: 0,
            createdAt: now, updatedAt: now)
        try await store.write { session in
            try await session.products.insert(product)
            try await session.policies.insert(policy)
            try await session.licenses.insert(license)
            try await session.machines.insert(machine("fp-1", on: license, at: 0))
        }
        return Setup(store: store, account: account, license: license)
    }

    func machine(_ fingerprint: String, on license: License, at offset: TimeInterval) -> Machine {
        let at = now.addingTimeInterval(offset)
        return Machine(
            id: Identifier.make(.machine, at: at), accountId: license.accountId, licenseId: license.id, fingerprint: fingerprint, lastHeartbeatAt: at,
            deadAt: nil, cullWhenDead: false, createdAt: at, updatedAt: at)
    }

    func change(_ machine: Machine) -> ChangeTable.Change {
        ChangeTable.Change(
            actor: "t", action: "machine.activated", objectType: "machine", objectId: machine.id, before: nil as Machine?, after: machine,
            data: "{\"id\":\"\(machine.id)\"}")
    }

    func context(_ setup: Setup, _ fingerprint: String) async throws -> LicenseContext? {
        try await setup.store.alone { try await $0.licenseContext(id: setup.license.id, accountId: setup.account.id, fingerprint: fingerprint) } ?? nil
    }

    @Test func insertsWhileWhatWasReadHoldsAndDeclinesOtherwise() async throws {
        let setup = try await setUp()
        let store = setup.store
        guard let read = try await context(setup, "fp-2") else {
            // SQLite: no statement runs alone, and the insert declines too.
            let read = try #require(try await store.read { try await $0.licenseContext(id: setup.license.id, accountId: setup.account.id) })
            let second = machine("fp-2", on: setup.license, at: 1)
            #expect(try await store.insertMachine(second, change: change(second), ifStill: read, seatLimit: nil) == nil)
            return
        }
        #expect(!read.fingerprintTaken && read.policy != nil)
        // Two machines of the same fingerprint would be one taken twice.
        let again = machine("fp-1", on: setup.license, at: 1)
        #expect(try await store.insertMachine(again, change: change(again), ifStill: read, seatLimit: 2) == false)
        let second = machine("fp-2", on: setup.license, at: 2)
        #expect(try await store.insertMachine(second, change: change(second), ifStill: read, seatLimit: 2) == true)
        // Two machines take the two seats now.
        let third = machine("fp-3", on: setup.license, at: 3)
        #expect(try await store.insertMachine(third, change: change(third), ifStill: read, seatLimit: 2) == false)
        #expect(try await store.insertMachine(third, change: change(third), ifStill: read, seatLimit: nil) == true)
        // A license changed since the read: declined, whatever else holds.
        var suspended = setup.license
        suspended.state = .suspended
        suspended.updatedAt = now.addingTimeInterval(4)
        try await store.write { [suspended] in try await $0.licenses.update(suspended) }
        let fourth = machine("fp-4", on: setup.license, at: 5)
        #expect(try await store.insertMachine(fourth, change: change(fourth), ifStill: read, seatLimit: nil) == false)

        let (machines, chain, events) = try await store.read { session in
            let chain = try await session.audit.chain(accountId: setup.account.id)
            let head = try await session.accounts.auditHead(accountId: setup.account.id)
            let events = try await session.events.list(accountId: setup.account.id, type: "machine.activated", objectId: nil, after: nil, page: PageRequest(limit: 10))
            return (try await session.machines.list(accountId: setup.account.id, licenseId: nil, state: nil, page: PageRequest(limit: 10)).items, AuditChain.verify(chain, head: head).valid, events.items)
        }
        #expect(Set(machines.map(\.fingerprint)) == ["fp-1", "fp-2", "fp-3"])
        #expect(machines.first { $0.fingerprint == "fp-2" } == second)
        #expect(chain)
        #expect(events.map(\.objectId) == [second.id, third.id])
        #expect(try await store.read { try await $0.sql.queryOne("SELECT count(*) AS n FROM pending_changes", [])?.int("n") } == 0)
    }

    /// Several activations in one statement (``MachineInsertBatches``): each item is checked on
    /// its own, and the batch's earlier items of the same license count toward its seats and its
    /// fingerprints; the passing ones are chained in order.
    @Test func aBatchChecksEachItemAfterTheOnesBeforeIt() async throws {
        let setup = try await setUp()
        guard let postgres = setup.store.database as? PostgreSQLDatabase, let read = try await context(setup, "fp-2") else { return }
        let stale = LicenseContext(license: read.license, policy: read.policy, fingerprintTaken: false, documents: ("{}", read.documents.policy))
        let batch: [(String, LicenseContext)] = [("fp-2", read), ("fp-2", read), ("fp-1", read), ("fp-3", read), ("fp-4", read), ("fp-5", stale)]
        let machines = batch.enumerated().map { machine($1.0, on: setup.license, at: Double($0) + 1) }
        let items = zip(machines, batch).map { postgres.insertItem($0, change: change($0), ifStill: $1.1, seatLimit: 3) }
        // fp-1 takes one of the three seats already.
        #expect(try await postgres.insertMachines(items, account: setup.account.id) == ["inserted", "taken", "taken", "inserted", "full", "changed"])
        let (stored, chain, events) = try await setup.store.read { session in
            let chain = try await session.audit.chain(accountId: setup.account.id)
            let head = try await session.accounts.auditHead(accountId: setup.account.id)
            let events = try await session.events.list(accountId: setup.account.id, type: "machine.activated", objectId: nil, after: nil, page: PageRequest(limit: 10))
            return (try await session.machines.list(accountId: setup.account.id, licenseId: nil, state: nil, page: PageRequest(limit: 10)).items, AuditChain.verify(chain, head: head).valid, events.items)
        }
        #expect(stored.count == 3 && Set(stored.map(\.fingerprint)) == ["fp-1", "fp-2", "fp-3"])
        #expect(stored.contains(machines[0]) && stored.contains(machines[3]))
        #expect(chain)
        #expect(events.map(\.objectId) == [machines[0].id, machines[3].id])
    }

    /// The checks run after the lock is taken, on what committed before: a transaction holding the
    /// license's lock that inserts the same fingerprint makes the waiting insert decline, though
    /// its caller read the fingerprint as free.
    @Test func theChecksSeeWhatTheLocksHolderCommitted() async throws {
        let setup = try await setUp()
        guard let read = try await context(setup, "fp-2") else { return }
        let (entered, enter) = AsyncStream<Void>.makeStream()
        let holder = machine("fp-2", on: setup.license, at: 1)
        let holding = Task {
            try await setup.store.write(lock: .license(account: setup.account.id, license: setup.license.id)) { session in
                try await session.machines.insert(holder)
                enter.yield()
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        for await _ in entered { break }
        let started = ContinuousClock.now
        let waiting = machine("fp-2", on: setup.license, at: 2)
        #expect(try await setup.store.insertMachine(waiting, change: change(waiting), ifStill: read, seatLimit: nil) == false)
        #expect(ContinuousClock.now - started >= .milliseconds(300), "the insert did not wait for the license's lock")
        try await holding.value
        let fingerprints = try await setup.store.read { try await $0.machines.list(accountId: setup.account.id, licenseId: nil, state: nil, page: PageRequest(limit: 10)).items.map(\.fingerprint) }
        #expect(fingerprints.sorted() == ["fp-1", "fp-2"])
    }
}
