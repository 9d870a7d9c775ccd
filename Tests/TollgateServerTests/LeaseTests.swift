import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

@Suite struct LeaseTests {
    @Test func concurrentLeasesHoldTheLimitUnderRaces() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Three", "limits": ["concurrentExecutions": 3]])
            let replies = try await withThrowingTaskGroup(of: TestApp.Reply.self) { group in
                for _ in 0..<30 { group.addTask { try await client.send(.post, "/v1/licenses/\(license.id)/leases", ["ttlSeconds": 60], licenseKey: license.key) } }
                return try await group.reduce(into: [TestApp.Reply]()) { $0.append($1) }
            }
            let taken = replies.filter { $0.status == 201 }
            #expect(taken.count == 3)
            #expect(replies.filter { $0.errorCode == "CONCURRENCY_LIMIT_EXCEEDED" }.count == 27)
            // Returning one frees a slot.
            let lease = taken[0].object["id"] as! String
            #expect(try await client.send(.delete, "/v1/licenses/\(license.id)/leases/\(lease)", licenseKey: license.key).status == 204)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).status == 201)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).status == 422)
        }
    }

    @Test func anExpiredLeaseFreesItsSlotAndCannotBeRenewed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "One", "limits": ["concurrentExecutions": 1]])
            let lease = try await client.send(.post, "/v1/licenses/\(license.id)/leases", ["ttlSeconds": 30, "holder": "job-1"], licenseKey: license.key).object
            let id = lease["id"] as! String
            app.clock.advance(by: 20)
            let renewed = try await client.send(.post, "/v1/licenses/\(license.id)/leases/\(id)/actions/renew", ["ttlSeconds": 30], licenseKey: license.key)
            #expect(renewed.status == 200)
            app.clock.advance(by: 25)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).status == 422)
            app.clock.advance(by: 10)
            let late = try await client.send(.post, "/v1/licenses/\(license.id)/leases/\(id)/actions/renew", licenseKey: license.key)
            #expect(late.status == 409)
            #expect(late.errorCode == "LEASE_EXPIRED")
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).status == 201)
            try await app.built.sweepMachines()
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).list.count == 1)
        }
    }

    @Test func leasesAreConfinedToTheirLicenseAndCheckTheirInput() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let other = try await client.license()
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: other.key).status == 404)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", ["ttlSeconds": 5], licenseKey: license.key).status == 422)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", ["ttl": 50], licenseKey: license.key).errorCode == "UNKNOWN_FIELD")
            #expect(try await client.send(.delete, "/v1/licenses/\(license.id)/leases/lse_nothing", licenseKey: license.key).status == 404)
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).errorCode == "SUSPENDED")
        }
    }
}
