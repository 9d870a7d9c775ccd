import Foundation
import Testing
import TollgateDomain
@testable import TollgateStore

/// This process's writes move the generation of the account they were confined to, and a write
/// not confined to one account moves every account's: caches of one account's objects outlive
/// other accounts' writes.
@Suite struct WriteGenerationTests {
    @Test func aWriteMovesItsAccountsGenerationOnly() async throws {
        let store = try await StoreTests().openStore()
        let generation = store.generation
        func both() -> (UInt64, UInt64) { (generation.current(accountId: "acc_a"), generation.current(accountId: "acc_b")) }
        var before = both()
        try await store.write(lock: .account("acc_a")) { _ in }
        #expect(both().0 != before.0 && both().1 == before.1)
        before = both()
        try await store.write(lock: .license(account: "acc_b", license: "lic_1")) { _ in }
        #expect(both().0 == before.0 && both().1 != before.1)
        before = both()
        try await store.write(lock: .everything) { _ in }
        #expect(both().0 != before.0 && both().1 != before.1)
        before = both()
        try await store.appendToLog { _ in }
        #expect(both() == before, "logs no cache depends on move nothing")
    }
}
