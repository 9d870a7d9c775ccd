import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import TollgateDomain
import TollgateFormats
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

    @Test func aReplayNeverAnswersAnotherCredential() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try await client.license()
            let second = try await client.license()
            let body = ["fingerprint": "shared-fp", "name": "build-01"]
            let mine = try await client.send(.post, "/v1/machines", body, token: nil, headers: ["Authorization": "License \(first.key)", "Idempotency-Key": "activate-1"])
            let theirs = try await client.send(.post, "/v1/machines", body, token: nil, headers: ["Authorization": "License \(second.key)", "Idempotency-Key": "activate-1"])
            #expect(mine.status == 201 && theirs.status == 201, "\(theirs.text)")
            #expect(theirs.header("Idempotent-Replayed") == nil)
            let machine = try #require(theirs.object["machine"] as? [String: Any])
            #expect(machine["licenseId"] as? String == second.id, "license 2's key got license 1's machine")
            #expect((mine.object["machine"] as? [String: Any])?["id"] as? String != machine["id"] as? String)
            // The token it got speaks for license 2's machine only.
            let token = try #require(theirs.object["token"] as? String)
            let claims = try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object["claims"] as? [String: Any]
            #expect(claims?["license"] as? String == second.id)
            // An admin token replaying the key on the same route is another caller too.
            let admin = try await client.send(.post, "/v1/machines", body.merging(["licenseId": first.id]) { $1 }, headers: ["Idempotency-Key": "activate-1"])
            #expect(admin.status == 409 && admin.errorCode == "FINGERPRINT_TAKEN", "\(admin.text)")
        }
    }

    @Test func aKeyIsScopedToItsRoute() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let customer = try await client.send(.post, "/v1/customers", ["name": "A"], headers: ["Idempotency-Key": "same"])
            let product = try await client.send(.post, "/v1/products", ["code": "same", "name": "A"], headers: ["Idempotency-Key": "same"])
            #expect(customer.status == 201 && product.status == 201, "\(product.text)")
            #expect(product.header("Idempotent-Replayed") == nil && product.object["code"] as? String == "same")
        }
    }

    @Test func anActivationReplayReturnsTheFirstAnswerByteForByte() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let headers = ["Authorization": "License \(license.key)", "Idempotency-Key": "activate-once"]
            let first = try await client.send(.post, "/v1/machines", ["fingerprint": "fp-1"], token: nil, headers: headers)
            app.clock.advance(by: 30)
            let again = try await client.send(.post, "/v1/machines", ["fingerprint": "fp-1"], token: nil, headers: headers)
            #expect(first.status == 201 && again.status == 201)
            #expect(again.header("Idempotent-Replayed") == "true")
            #expect(again.body == first.body, "a replay signed a new token instead of returning the first answer")
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)/machines", licenseKey: license.key).list.count == 1)
        }
    }

    /// The process stopped after an activation committed and before its answer was stored: the
    /// record of the key holds the change's result only. A retry signs an answer from that result
    /// without activating again, and later retries get that answer byte for byte.
    @Test func aRetryAfterAnAnswerWasLostFinishesItWithoutChangingAgain() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let accountId = app.built.defaultAccount.id
            let route = "POST /v1/machines"
            let claim = IdempotencyClaim(
                scope: .init(accountId: accountId, principal: "license:\(license.id)", route: route, key: "activate-lost"),
                fingerprint: JSONBody.fingerprint(of: Data(#"{"fingerprint":"fp-1"}"#.utf8), route: route))
            let writer = ChangeWriter(store: app.built.services.store, clock: app.clock)
            let stored = try await IdempotencyClaim.$current.withValue(claim) {
                try await writer.write(accountId: accountId, lock: .license(account: accountId, license: license.id)) { session, now in
                    try await MachineActivator.activate(
                        MachineDraft(fingerprint: "fp-1"), licenseId: license.id, accountId: accountId, actor: "license:\(license.id)",
                        session: session, now: now)
                }
            }
            #expect(claim.recorded == false)

            let headers = ["Authorization": "License \(license.key)", "Idempotency-Key": "activate-lost"]
            let finished = try await client.send(.post, "/v1/machines", ["fingerprint": "fp-1"], token: nil, headers: headers)
            #expect(finished.status == 201 && finished.header("Idempotent-Replayed") == "true")
            #expect((finished.object["machine"] as? [String: Any])?["id"] as? String == stored.machine.id)
            #expect(finished.object["token"] is String)
            app.clock.advance(by: 30)
            let again = try await client.send(.post, "/v1/machines", ["fingerprint": "fp-1"], token: nil, headers: headers)
            #expect(again.status == 201 && again.body == finished.body)
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)/machines", licenseKey: license.key).list.count == 1)
        }
    }

    @Test func concurrentActivationRetriesAgreeOnOneAnswer() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let headers = ["Authorization": "License \(license.key)", "Idempotency-Key": "activate-race"]
            let bodies = try await withThrowingTaskGroup(of: Data.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await client.send(.post, "/v1/machines", ["fingerprint": "fp-race"], token: nil, headers: headers).body }
                }
                return try await group.reduce(into: Set<Data>()) { $0.insert($1) }
            }
            #expect(bodies.count == 1)
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)/machines", licenseKey: license.key).list.count == 1)
        }
    }

    @Test func leasesAndCheckOutsHonourTheKey() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let auth = "License \(license.key)"
            let machine = (try await client.activate(license.key, fingerprint: "fp-1").object["machine"] as! [String: Any])["id"] as! String
            func twice(_ path: String, _ body: [String: Any], key: String) async throws -> (TestApp.Reply, TestApp.Reply) {
                let first = try await client.send(.post, path, body, token: nil, headers: ["Authorization": auth, "Idempotency-Key": key])
                app.clock.advance(by: 5)
                let second = try await client.send(.post, path, body, token: nil, headers: ["Authorization": auth, "Idempotency-Key": key])
                #expect((200..<300).contains(first.status), "\(path): \(first.text)")
                #expect(second.body == first.body && second.header("Idempotent-Replayed") == "true", "\(path) was not replayed")
                return (first, second)
            }
            let (lease, _) = try await twice("/v1/licenses/\(license.id)/leases", ["ttlSeconds": 60], key: "lease-1")
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).list.count == 1)
            let leaseId = lease.object["id"] as! String
            _ = try await twice("/v1/licenses/\(license.id)/leases/\(leaseId)/actions/renew", ["ttlSeconds": 120], key: "renew-1")
            _ = try await twice("/v1/machines/\(machine)/actions/check-out", ["encrypt": true], key: "machine-file-1")
            _ = try await twice("/v1/licenses/\(license.id)/actions/check-out", [:], key: "license-file-1")
        }
    }

    @Test func twentyConcurrentRotationsWithOneKeyMakeOneKey() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let kids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.send(.post, "/v1/keys/actions/rotate", headers: ["Idempotency-Key": "rotate-1"]).object["kid"] as? String }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(kids.count == 1 && kids.first! != nil)
            #expect(try await client.send(.get, "/v1/keys").list.count == 2)
            let kid = try #require(kids.first!)
            let retired = try await client.send(.post, "/v1/keys/\(kid)/actions/retire", headers: ["Idempotency-Key": "retire-1"])
            let again = try await client.send(.post, "/v1/keys/\(kid)/actions/retire", headers: ["Idempotency-Key": "retire-1"])
            #expect(retired.status == 200 && again.body == retired.body && again.header("Idempotent-Replayed") == "true")
        }
    }
}
