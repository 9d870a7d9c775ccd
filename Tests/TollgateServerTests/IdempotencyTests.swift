import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import Logging
import Testing
@testable import TollgateServer

@Suite struct IdempotencyTests {
    @Test func retriedCreateWithTheSameKeyReturnsTheFirstObject() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let body = ["code": "engine", "name": "Engine"]
            let first = try await client.send(.post, "/v1/products", body, headers: ["Idempotency-Key": "create-engine-1"])
            let second = try await client.send(.post, "/v1/products", body, headers: ["Idempotency-Key": "create-engine-1"])
            #expect(first.status == 201 && second.status == 201)
            #expect(first.object["id"] as? String == second.object["id"] as? String)
            #expect(second.header("Idempotent-Replayed") == "true" && first.header("Idempotent-Replayed") == nil)
            #expect(try await client.send(.get, "/v1/products").list.count == 1)
        }
    }

    @Test func sameKeyWithAnotherBodyIsRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.send(.post, "/v1/customers", ["name": "A"], headers: ["Idempotency-Key": "k1"])
            let reused = try await client.send(.post, "/v1/customers", ["name": "B"], headers: ["Idempotency-Key": "k1"])
            #expect(reused.status == 422 && reused.errorCode == "IDEMPOTENCY_KEY_REUSED")
            #expect(try await client.send(.get, "/v1/customers").list.count == 1)
        }
    }

    @Test func retriedLicenseIssueAndRenewChangeOnce() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let catalog = try await client.catalog()
            let body = ["policyId": catalog.policy, "customerId": catalog.customer]
            let first = try await client.send(.post, "/v1/licenses", body, headers: ["Idempotency-Key": "order-77"])
            let again = try await client.send(.post, "/v1/licenses", body, headers: ["Idempotency-Key": "order-77"])
            #expect(first.object["key"] as? String == again.object["key"] as? String, "\(again.status) \(again.text)")
            let id = first.object["id"] as! String
            let renew1 = try await client.send(.post, "/v1/licenses/\(id)/actions/renew", headers: ["Idempotency-Key": "renew-1"])
            let renew2 = try await client.send(.post, "/v1/licenses/\(id)/actions/renew", headers: ["Idempotency-Key": "renew-1"])
            #expect(renew1.object["expiresAt"] as? String == "2029-01-14T08:00:00Z" && renew2.object["expiresAt"] as? String == "2029-01-14T08:00:00Z")
            #expect(try await client.send(.get, "/v1/licenses").list.count == 1)
        }
    }

    @Test func concurrentRetriesCreateExactlyOneObject() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.send(.post, "/v1/customers", ["name": "Racer"], headers: ["Idempotency-Key": "race"]).object["id"] as? String
                    }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(ids.count == 1 && ids.first! != nil)
            #expect(try await client.send(.get, "/v1/customers").list.count == 1)
        }
    }

    @Test func keysAreScopedToTheAccount() async throws {
        let app = try await TestApp.make()
        let other = try await app.built.createAccount(name: "Other")
        try await app.run { client in
            let mine = try await client.send(.post, "/v1/customers", ["name": "A"], headers: ["Idempotency-Key": "shared"])
            let theirs = try await client.send(.post, "/v1/customers", ["name": "A"], token: other.adminToken, headers: ["Idempotency-Key": "shared"])
            #expect(mine.status == 201 && theirs.status == 201 && mine.object["id"] as? String != theirs.object["id"] as? String)
        }
    }
}
