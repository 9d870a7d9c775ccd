import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// The event log: every change writes its event in its own transaction, with the object's new
/// state; refused changes write none; the log reads in commit order with gap-free sequences.
@Suite struct EventLogTests {
    /// Every event of the account, oldest first, following the cursor.
    static func events(_ client: TestApp.Client, query: String = "", token: String = TestApp.adminToken) async throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var cursor: String?
        repeat {
            let path = "/v1/events?limit=100" + query + (cursor.map { "&cursor=\($0)" } ?? "")
            let reply = try await client.send(.get, path, token: token)
            #expect(reply.status == 200, "\(reply.text)")
            all += reply.list
            cursor = reply.object["nextCursor"] as? String
        } while cursor != nil
        return all
    }

    @Test func everyChangeWritesItsEventWithTheObjectsNewState() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let before = try await Self.events(client).count
            let license = try await client.license()
            let product = license.product
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/reinstate")
            try await client.send(.patch, "/v1/licenses/\(license.id)", ["metadata": ["plan": "annual"]])
            let activated = try await client.activate(license.key, fingerprint: "fp-1")
            let machine = (activated.object["machine"] as! [String: Any])["id"] as! String
            try await client.send(.post, "/v1/machines/\(machine)/actions/check-out", licenseKey: license.key)
            try await client.send(.delete, "/v1/machines/\(machine)", licenseKey: license.key)
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/revoke")

            // The preset adds the four codes it grants to the product's entitlement catalogue.
            let all = Array(try await Self.events(client).dropFirst(before))
            #expect(all[1..<5].map { $0["type"] as! String } == Array(repeating: "entitlement.created", count: 4))
            let events = Array(all[0..<1] + all[5...])
            #expect(events.map { $0["type"] as! String } == [
                "product.created", "policy.created", "customer.created", "license.created", "license.suspended", "license.reinstated",
                "license.updated", "machine.activated", "machine.checked_out", "machine.deactivated", "license.revoked",
            ])
            let sequences = all.map { $0["sequence"] as! Int }
            #expect(sequences == Array(sequences[0]..<(sequences[0] + sequences.count)), "gap-free, in commit order")
            #expect(events[0]["objectId"] as? String == product && (events[0]["actor"] as? String)?.hasPrefix("tok_") == true)
            // The data is the object as the API shows it after the change.
            let suspended = try #require(events[4]["data"] as? [String: Any])
            #expect(suspended["status"] as? String == "suspended" && suspended["id"] as? String == license.id)
            #expect((events[6]["data"] as? [String: Any]).flatMap { $0["metadata"] as? [String: String] } == ["plan": "annual"])
            #expect((events[7]["data"] as? [String: Any])?["status"] as? String == "alive")
            #expect(events[7]["actor"] as? String == "license:\(license.id)")
            #expect((events[9]["data"] as? [String: Any])?["state"] as? String == "deactivated")
            #expect((events[10]["data"] as? [String: Any])?["status"] as? String == "revoked")
        }
    }

    @Test func aRefusedChangeWritesNoEvent() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "One", "maxMachines": 1])
            let before = try await Self.events(client).count
            #expect(try await client.send(.post, "/v1/products", ["code": "dupe", "name": "A"]).status == 201)
            #expect(try await client.send(.post, "/v1/products", ["code": "dupe", "name": "B"]).status == 409)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend").status == 200)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend").status == 409)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/actions/reinstate").status == 200)
            #expect(try await client.activate(license.key, fingerprint: "fp-1").status == 201)
            #expect(try await client.activate(license.key, fingerprint: "fp-2").status == 422)
            #expect(try await client.send(.post, "/v1/customers", ["name": ""]).status == 422)
            let types = try await Self.events(client).dropFirst(before).map { $0["type"] as! String }
            #expect(types == ["product.created", "license.suspended", "license.reinstated", "machine.activated"])
        }
    }

    @Test func sweptAndDrainedMachinesHaveTheirEvents() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: HeartbeatTests.shortBeats.merging(["maxMachines": 3]) { $1 })
            for fingerprint in ["fp-1", "fp-2"] { try await client.activate(license.key, fingerprint: fingerprint) }
            app.clock.advance(by: 91)
            #expect(try await app.built.sweepMachines().died == 2)
            let died = try await Self.events(client, query: "&type=machine.died")
            #expect(died.count == 2 && died.allSatisfy { $0["actor"] as? String == "system:sweeper" })
            #expect(died.allSatisfy { ($0["data"] as? [String: Any])?["deactivationReason"] as? String == "dead" })
        }
    }

    @Test func theLogFiltersByTypeObjectAndSequenceAndPages() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try await client.license()
            let second = try await client.license()
            try await client.send(.post, "/v1/licenses/\(first.id)/actions/suspend")
            try await client.send(.post, "/v1/licenses/\(second.id)/actions/suspend")
            let licenses = try await Self.events(client, query: "&type=license.*")
            #expect(licenses.map { $0["type"] as! String } == ["license.created", "license.created", "license.suspended", "license.suspended"])
            let underscore = try await client.send(.get, "/v1/events?type=licens_.*")
            #expect(underscore.status == 200 && underscore.list.isEmpty, "a prefix's _ is a character, not a wildcard")
            let ofFirst = try await Self.events(client, query: "&objectId=\(first.id)")
            #expect(ofFirst.map { $0["type"] as! String } == ["license.created", "license.suspended"])
            let cut = licenses[1]["sequence"] as! Int
            let later = try await Self.events(client, query: "&type=license.suspended&after=\(cut)")
            #expect(later.count == 2)
            // Pages of two follow each other without gaps or repeats.
            let page = try await client.send(.get, "/v1/events?limit=2")
            let next = try await client.send(.get, "/v1/events?limit=2&cursor=\(page.object["nextCursor"] as! String)")
            #expect((page.list + next.list).map { $0["sequence"] as! Int } == [1, 2, 3, 4])
            let all = try await client.send(.get, "/v1/events?type=*")
            let unfiltered = try await client.send(.get, "/v1/events")
            #expect(all.list.count == unfiltered.list.count && all.list.count > 4, "* is every type")
            for bad in ["?after=-1", "?after=x", "?type=License", "?type=.*", "?cursor=abc"] {
                let reply = try await client.send(.get, "/v1/events\(bad)")
                #expect(reply.status == 400 && reply.errorCode == "INVALID_PARAMETER", "\(bad): \(reply.text)")
            }
        }
    }

    @Test func anotherAccountsEventsAreNotListed() async throws {
        let app = try await TestApp.make()
        let other = try await app.built.createAccount(name: "Other")
        try await app.run { client in
            let license = try await client.license()
            let theirs = try await Self.events(client, token: other.adminToken)
            #expect(!theirs.contains { $0["objectId"] as? String == license.id })
            #expect(theirs.map { $0["type"] as! String } == ["account.created", "token.created"])
            #expect(try await client.send(.get, "/v1/events", licenseKey: license.key).status == 403)
        }
    }
}
