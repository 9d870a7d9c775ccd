import Foundation
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateStore

/// The one-statement reads of a license, its policy and whether a fingerprint is taken, and of a
/// machine with its license and policy, and the
/// statements it and every other read run as (prepared per connection on PostgreSQL), on both
/// databases.
@Suite struct LicenseContextTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aLicenseComesWithItsPolicyAndWhetherAFingerprintIsTaken() async throws {
        let store = try await StoreTests().openStore()
        let account = try await StoreTests().account(store)
        let product = StoreTests().product(account.id, code: "cad")
        let policy = try PolicyDraft(productId: product.id, name: "Pro", maxMachines: 3, entitlements: [], limits: ["seats": .limited(5)])
            .validated(id: Identifier.make(.policy, at: now), accountId: account.id, createdAt: now, now: now)
        func license(policyId: String) -> License {
            License(
                id: Identifier.make(.license, at: now), accountId: account.id, productId: product.id, policyId: policyId,
                customerId: "cus_1", key: "", keyId: "00000000", state: .active, expiresAt: nil, limitOverrides: [:], extraEntitlements: [],
                metadata: [:], revocationVersion: 0, createdAt: now, updatedAt: now)
        }
        let (held, orphan) = (license(policyId: policy.id), license(policyId: "pol_gone"))
        let machine = Machine(
            id: Identifier.make(.machine, at: now), accountId: account.id, licenseId: held.id, fingerprint: "fp-1", lastHeartbeatAt: now, deadAt: nil,
            cullWhenDead: false, createdAt: now, updatedAt: now)
        let stray = Machine(
            id: Identifier.make(.machine, at: now.addingTimeInterval(1)), accountId: account.id, licenseId: orphan.id, fingerprint: "fp-9",
            lastHeartbeatAt: now, deadAt: nil, cullWhenDead: false, createdAt: now, updatedAt: now)
        try await store.write { session in
            try await session.products.insert(product)
            try await session.policies.insert(policy)
            try await session.licenses.insert(held)
            try await session.licenses.insert(orphan)
            try await session.machines.insert(machine)
            try await session.machines.insert(stray)
        }
        // Twice each, so that on PostgreSQL the second read runs the statement prepared by the first.
        for _ in 0..<2 {
            let taken = try #require(try await store.read { try await $0.licenseContext(id: held.id, accountId: account.id, fingerprint: "fp-1") })
            #expect(taken.license == held && taken.policy == policy && taken.fingerprintTaken)
            let free = try #require(try await store.read { try await $0.licenseContext(id: held.id, accountId: account.id, fingerprint: "fp-2") })
            #expect(!free.fingerprintTaken)
            let plain = try #require(try await store.read { try await $0.licenseContext(id: held.id, accountId: account.id) })
            #expect(plain.policy == policy && !plain.fingerprintTaken)
            #expect(try await store.read { try await $0.licenseContext(id: orphan.id, accountId: account.id) }?.policy == nil)
            #expect(try await store.read { try await $0.licenseContext(id: held.id, accountId: "acc_other") } == nil)
            let context = try #require(try await store.read { try await $0.machineContext(id: machine.id, accountId: account.id) })
            #expect(context.machine == machine && context.license == held && context.policy == policy)
            #expect(try await store.read { try await $0.machineContext(id: machine.id, accountId: "acc_other") } == nil)
            #expect(try await store.read { try await $0.machineContext(id: stray.id, accountId: account.id) }.map { $0.license == orphan && $0.policy == nil } == true)
        }
    }

    /// One statement run with a null, an integer and a text in the same place: on PostgreSQL each
    /// combination of argument types is prepared as a statement of its own, so none is bound to
    /// types fixed by another's first use.
    @Test func oneStatementTakesArgumentsOfDifferentTypesInTurn() async throws {
        let store = try await StoreTests().openStore()
        for _ in 0..<2 {
            for (argument, expected) in [(SQLValue.null, "null"), (.integer(42), "42"), (.text("forty-two"), "forty-two")] {
                let row = try await store.read { try await $0.sql.queryOne("SELECT COALESCE(CAST(? AS TEXT), 'null') AS value", [argument]) }
                #expect(row?.string("value") == expected)
            }
        }
    }
}
