import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

@Suite struct MachineActivationTests {
    @Test func activationWithTheLicenseKeyAnswersTheMachineAndAnEdDSAToken() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let reply = try await client.activate(license.key, fingerprint: "fp-1", ["name": "build-01", "platform": "linux", "cores": 8])
            #expect(reply.status == 201)
            let machine = reply.object["machine"] as! [String: Any]
            #expect(machine["fingerprint"] as? String == "fp-1")
            #expect(machine["status"] as? String == "alive")
            #expect(machine["licenseId"] as? String == license.id)
            #expect(reply.object["valid"] as? Bool == true)
            let token = try #require(reply.object["token"] as? String)
            let header = try JSONSerialization.jsonObject(with: Base64URL.decode(String(token.split(separator: ".")[0]))!) as! [String: Any]
            #expect(header["alg"] as? String == "EdDSA")
            #expect(header["kid"] as? String == (try await app.built.services.keys.current(accountId: app.built.defaultAccount.id)).id)
            #expect(try await client.auditActions().contains("machine.activated"))
        }
    }

    @Test func fiftyConcurrentActivationsOfAFiveMachineLicenseSucceedExactlyFiveTimes() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Five", "maxMachines": 5])
            let statuses = try await withThrowingTaskGroup(of: TestApp.Reply.self) { group in
                for index in 0..<50 { group.addTask { try await client.activate(license.key, fingerprint: "fp-\(index)") } }
                return try await group.reduce(into: [TestApp.Reply]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0.status == 201 }.count == 5)
            let refused = statuses.filter { $0.status != 201 }
            #expect(refused.count == 45, "\(statuses.map(\.status))")
            #expect(refused.allSatisfy { $0.status == 422 && $0.errorCode == "MACHINE_LIMIT_EXCEEDED" }, "\(Set(refused.map { "\($0.status) \($0.text)" }))")
            #expect(refused.allSatisfy { $0.error["count"] as? Int == 5 && $0.error["limit"] as? Int == 5 })
            let listed = try await client.send(.get, "/v1/licenses/\(license.id)/machines?limit=100")
            #expect(listed.list.count == 5)
        }
    }

    @Test func nodeLockedLicenseTakesOneMachineAndAFingerprintOnce() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Node", "machineBinding": "node-locked"])
            #expect(try await client.activate(license.key, fingerprint: "fp-a").status == 201)
            let again = try await client.activate(license.key, fingerprint: "fp-a")
            #expect(again.status == 409)
            #expect(again.errorCode == "FINGERPRINT_TAKEN")
            let second = try await client.activate(license.key, fingerprint: "fp-b")
            #expect(second.status == 422)
            #expect(second.errorCode == "MACHINE_LIMIT_EXCEEDED")
            #expect(second.error["limit"] as? Int == 1)
        }
    }

    @Test func suspendedRevokedAndExpiredLicensesCannotActivate() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let suspended = try await client.license()
            try await client.send(.post, "/v1/licenses/\(suspended.id)/actions/suspend")
            let reply = try await client.activate(suspended.key, fingerprint: "fp")
            #expect(reply.status == 403)
            #expect(reply.errorCode == "SUSPENDED")

            let revoked = try await client.license()
            try await client.send(.post, "/v1/licenses/\(revoked.id)/actions/revoke")
            #expect(try await client.activate(revoked.key, fingerprint: "fp").errorCode == "REVOKED")

            let expiring = try await client.license(policy: ["name": "Month", "durationDays": 30])
            app.clock.advance(days: 31)
            let expired = try await client.activate(expiring.key, fingerprint: "fp")
            #expect(expired.status == 403)
            #expect(expired.errorCode == "EXPIRED")
            #expect(try await client.auditActions().filter { $0 == "machine.activated" }.isEmpty)
        }
    }

    /// On PostgreSQL, concurrent activations of one account's licenses go to the database in
    /// batches (MachineInsertBatches): each license still takes exactly its seats, and the audit
    /// trail and the event log stay one unbroken chain.
    @Test func concurrentActivationsOfManyLicensesTakeExactlyTheirSeatsAndKeepTheChain() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var licenses: [(id: String, key: String, product: String, policy: String)] = []
            for index in 0..<8 { licenses.append(try await client.license(policy: ["name": "Two \(index)", "maxMachines": 2])) }
            let before = try await EventLogTests.events(client).count
            let replies = try await withThrowingTaskGroup(of: (String, TestApp.Reply).self) { group in
                for index in 0..<48 {
                    let license = licenses[index % 8]
                    group.addTask { (license.id, try await client.activate(license.key, fingerprint: "fp-\(index)")) }
                }
                return try await group.reduce(into: [(String, TestApp.Reply)]()) { $0.append($1) }
            }
            for license in licenses {
                let ofLicense = replies.filter { $0.0 == license.id }.map(\.1)
                #expect(ofLicense.filter { $0.status == 201 }.count == 2, "\(ofLicense.map(\.status))")
                #expect(ofLicense.filter { $0.status != 201 }.allSatisfy { $0.errorCode == "MACHINE_LIMIT_EXCEEDED" })
            }
            let events = try await EventLogTests.events(client)
            #expect(events.count == before + 16)
            #expect(events.filter { $0["type"] as? String == "machine.activated" }.count == 16)
            #expect(events.map { $0["sequence"] as! Int } == Array(1...events.count))
            let audit = try await client.send(.get, "/v1/audit-events/verify").object
            #expect(audit["valid"] as? Bool == true, "\(audit)")
        }
    }

    /// On PostgreSQL an activation plans with the license and policy an earlier activation read
    /// (MachineActivator.activateAlone): a change since then must still be seen.
    @Test func anActivationSeesChangesToTheLicenseAndPolicySinceTheLastOne() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Three", "maxMachines": 3])
            #expect(try await client.activate(license.key, fingerprint: "fp-1").status == 201)
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            #expect(try await client.activate(license.key, fingerprint: "fp-2").errorCode == "SUSPENDED")
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/reinstate")
            #expect(try await client.activate(license.key, fingerprint: "fp-2").status == 201)
            #expect(try await client.send(.patch, "/v1/policies/\(license.policy)", ["maxMachines": 2]).status == 200)
            let full = try await client.activate(license.key, fingerprint: "fp-3")
            #expect(full.errorCode == "MACHINE_LIMIT_EXCEEDED" && full.error["limit"] as? Int == 2)
            #expect(try await client.activate(license.key, fingerprint: "fp-1").errorCode == "FINGERPRINT_TAKEN")
        }
    }

    @Test func aNewClusterActivatesWhileTheOldOneDrainsThenTheOldOneIsDeactivated() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(
                policy: ["name": "Cluster", "maxMachines": 2, "maxNodesPerCluster": 2, "clusterDrainSeconds": 600])
            #expect(try await client.activate(license.key, fingerprint: "a1", ["cluster": "blue"]).status == 201)
            #expect(try await client.activate(license.key, fingerprint: "a2", ["cluster": "blue"]).status == 201)
            let third = try await client.activate(license.key, fingerprint: "a3", ["cluster": "blue"])
            #expect(third.errorCode == "NODE_LIMIT_EXCEEDED")
            #expect(third.error["count"] as? Int == 2)

            app.clock.advance(by: 10)
            // A new cluster while the only slot is taken: blue drains, green comes up beside it.
            #expect(try await client.activate(license.key, fingerprint: "b1", ["cluster": "green"]).status == 201)
            #expect(try await client.activate(license.key, fingerprint: "b2", ["cluster": "green"]).status == 201)
            #expect(try await client.activate(license.key, fingerprint: "a3", ["cluster": "blue"]).errorCode == "CLUSTER_DRAINING")
            let third3 = try await client.activate(license.key, fingerprint: "c1", ["cluster": "red"])
            #expect(third3.status == 422)
            #expect(third3.errorCode == "CLUSTER_LIMIT_EXCEEDED")

            let during = try await client.send(.get, "/v1/licenses/\(license.id)/machines?state=active")
            #expect(during.list.count == 4)
            #expect(during.list.filter { $0["drainingUntil"] is String }.count == 2)

            app.clock.advance(by: 601)
            let swept = try await app.built.sweepMachines()
            #expect(swept.drained == 2)
            let after = try await client.send(.get, "/v1/licenses/\(license.id)/machines")
            let blue = after.list.filter { $0["cluster"] as? String == "blue" }
            #expect(blue.count == 2)
            #expect(blue.allSatisfy { $0["status"] as? String == "deactivated" && $0["deactivationReason"] as? String == "cluster-drained" })
            #expect(after.list.filter { $0["cluster"] as? String == "green" && $0["status"] as? String == "alive" }.count == 2)
            let actions = try await client.auditActions()
            #expect(actions.filter { $0 == "machine.draining" }.count == 2)
            #expect(actions.filter { $0 == "machine.deactivated" }.count == 2)
        }
    }

    @Test func credentialsSeeOnlyTheirOwnLicenseAndMachines() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try await client.license()
            let second = try await client.license()
            let machine = try await client.activate(first.key, fingerprint: "fp").object
            let machineId = (machine["machine"] as! [String: Any])["id"] as! String
            let token = machine["token"] as! String

            #expect(try await client.send(.get, "/v1/machines/\(machineId)", licenseKey: second.key).status == 404)
            #expect(try await client.send(.get, "/v1/licenses/\(first.id)/machines", licenseKey: second.key).status == 404)
            #expect(try await client.send(.get, "/v1/machines/\(machineId)", licenseKey: first.key).status == 200)
            #expect(try await client.send(.get, "/v1/machines/\(machineId)", token: token).status == 200)
            // A license key is not an API token.
            let admin = try await client.send(.get, "/v1/licenses", licenseKey: first.key)
            #expect(admin.status == 403)
            // A machine token cannot activate other machines.
            #expect(try await client.send(.post, "/v1/machines", ["fingerprint": "other"], token: token).status == 403)
            // An admin must name the license.
            let unnamed = try await client.send(.post, "/v1/machines", ["fingerprint": "x"])
            #expect(unnamed.status == 422)
            #expect(unnamed.error["field"] as? String == "licenseId")
            #expect(try await client.send(.post, "/v1/machines", ["fingerprint": "x", "licenseId": first.id]).status == 201)
        }
    }

    @Test func badActivationInputIsRefusedAndWritesNothing() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let before = try await client.auditCount()
            let missing = try await client.send(.post, "/v1/machines", ["name": "x"], licenseKey: license.key)
            #expect(missing.status == 422)
            #expect(missing.error["field"] as? String == "fingerprint")
            #expect(try await client.activate(license.key, fingerprint: "fp", ["cores": 0]).status == 422)
            #expect(try await client.activate(license.key, fingerprint: "has space").status == 422)
            #expect(try await client.activate(license.key, fingerprint: "fp", ["colour": "red"]).errorCode == "UNKNOWN_FIELD")
            #expect(try await client.send(.post, "/v1/machines", ["fingerprint": "fp"], token: nil).status == 401)
            let mistyped = try await client.activate("TG1-NOTAKEY", fingerprint: "fp")
            #expect(mistyped.status == 401)
            #expect(mistyped.errorCode == "LICENSE_KEY_INVALID")
            #expect(try await client.send(.post, "/v1/machines", token: nil, headers: ["Authorization": "License \(license.key)"], raw: "{").status == 400)
            #expect(try await client.auditCount() == before)
        }
    }

    @Test func validationWithAFingerprintScopeSeesActivatedMachines() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            #expect(try await client.validate(license.key, scope: ["fingerprint": "fp-1"]).object["code"] as? String == "NO_MACHINE")
            try await client.activate(license.key, fingerprint: "fp-1")
            #expect(try await client.validate(license.key, scope: ["fingerprint": "fp-1"]).object["code"] as? String == "VALID")
        }
    }

    @Test func activationHonoursIdempotencyKeys() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Two", "maxMachines": 2])
            let headers = ["Authorization": "License \(license.key)", "Idempotency-Key": "act-1"]
            let first = try await client.send(.post, "/v1/machines", ["fingerprint": "fp"], token: nil, headers: headers)
            let second = try await client.send(.post, "/v1/machines", ["fingerprint": "fp"], token: nil, headers: headers)
            #expect(first.status == 201)
            #expect(second.status == 201)
            #expect(second.header("Idempotent-Replayed") == "true")
            let firstId = (first.object["machine"] as! [String: Any])["id"] as! String
            #expect((second.object["machine"] as! [String: Any])["id"] as? String == firstId)
            #expect(second.object["token"] is String)
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)/machines").list.count == 1)
        }
    }
}
