import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import Logging
import Testing
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

@Suite struct ResourceTests {
    @Test func productsAreCreatedListedShownAndUpdated() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let product = try await client.create("/v1/products", ["code": "engine", "name": "Engine", "metadata": ["tier": "x"]])
            let id = try #require(product["id"] as? String)
            #expect(id.hasPrefix("prd_"))
            #expect(try await client.send(.get, "/v1/products/\(id)").object["name"] as? String == "Engine")
            let updated = try await client.send(.patch, "/v1/products/\(id)", ["name": "Engine 2", "metadata": ["tier": nil as Any? ?? NSNull()]])
            #expect(updated.status == 200 && updated.object["name"] as? String == "Engine 2")
            #expect((updated.object["metadata"] as? [String: String])?.isEmpty == true)
            #expect(updated.object["code"] as? String == "engine")
            let duplicate = try await client.send(.post, "/v1/products", ["code": "engine", "name": "Again"])
            #expect(duplicate.status == 409 && duplicate.errorCode == "PRODUCT_CODE_TAKEN" && duplicate.error["field"] as? String == "code")
            #expect(try await client.send(.get, "/v1/products").list.count == 1)
        }
    }

    @Test func listsArePaginatedByCursor() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            for index in 0..<5 { _ = try await client.create("/v1/customers", ["name": "Customer \(index)"]) }
            let first = try await client.send(.get, "/v1/customers?limit=2").object
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try await client.send(.get, "/v1/customers?limit=2&cursor=\(cursor)").object
            let third = try await client.send(.get, "/v1/customers?limit=2&cursor=\(second["nextCursor"] as! String)").object
            let names = [first, second, third].flatMap { ($0["data"] as! [[String: Any]]).map { $0["name"] as! String } }
            #expect(names == (0..<5).map { "Customer \($0)" })
            #expect(third["nextCursor"] is NSNull)
        }
    }

    @Test func policiesAreCustomOrPresetAndKeepTheirProduct() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let catalog = try await client.catalog(preset: "community")
            let community = try await client.send(.get, "/v1/policies/\(catalog.policy)").object
            #expect(community["name"] as? String == "Community" && community["machineBinding"] as? String == "node-locked")
            #expect((community["limits"] as? [String: Any])?["executionsPerMonth"] as? Int == 1000)
            // 'core' entered the product's catalogue with the preset; 'sso' is added by hand.
            let codes = try await client.send(.get, "/v1/products/\(catalog.product)/entitlements").list.map { $0["code"] as! String }
            #expect(codes == ["core"])
            _ = try await client.create("/v1/products/\(catalog.product)/entitlements", ["code": "sso", "description": "Single sign-on"])
            let taken = try await client.send(.post, "/v1/products/\(catalog.product)/entitlements", ["code": "sso"])
            #expect(taken.status == 409 && taken.errorCode == "ENTITLEMENT_CODE_TAKEN")
            let custom = try await client.create(
                "/v1/policies",
                ["productId": catalog.product, "name": "Team", "durationDays": 30, "maxMachines": 10, "entitlements": ["core", "sso"],
                 "limits": ["maxWorkflows": 50], "expirationStrategy": "revoke"])
            #expect(custom["offlineGraceDays"] as? Int == 30 && custom["maxMachines"] as? Int == 10)
            let patched = try await client.send(.patch, "/v1/policies/\(custom["id"]!)", ["limits": ["maxWorkflows": nil as Any? ?? NSNull()]])
            // A merge patch's null removes the limit.
            #expect((patched.object["limits"] as? [String: Any])?["maxWorkflows"] == nil)
            let moved = try await client.send(.patch, "/v1/policies/\(custom["id"]!)", ["productId": "prd_other"])
            #expect(moved.status == 422 && moved.errorCode == "IMMUTABLE_FIELD")
            let listed = try await client.send(.get, "/v1/policies?productId=\(catalog.product)").list
            #expect(listed.count == 2)
            let unknownPreset = try await client.send(.post, "/v1/policies/presets/platinum", ["productId": catalog.product])
            #expect(unknownPreset.status == 404)
        }
    }

    @Test func licensesFilterByStatusCustomerProductAndExpiry() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let catalog = try await client.catalog()
            let other = try await client.create("/v1/customers", ["name": "Other"])["id"] as! String
            func issue(_ customer: String, _ expires: String? = nil) async throws -> String {
                var body: [String: Any] = ["policyId": catalog.policy, "customerId": customer]
                if let expires { body["expiresAt"] = expires }
                return try await client.create("/v1/licenses", body)["id"] as! String
            }
            let soon = try await issue(catalog.customer, "2027-02-01T00:00:00Z")
            let suspended = try await issue(catalog.customer)
            let others = try await issue(other)
            try await client.send(.post, "/v1/licenses/\(suspended)/actions/suspend")
            func ids(_ query: String) async throws -> [String] {
                try await client.send(.get, "/v1/licenses?\(query)").list.map { $0["id"] as! String }
            }
            #expect(try await ids("status=suspended") == [suspended])
            #expect(try await ids("status=active") == [soon, others])
            #expect(try await ids("customerId=\(other)") == [others])
            #expect(try await ids("productId=\(catalog.product)").count == 3)
            #expect(try await ids("expiringBefore=2027-03-01") == [soon])
            app.clock.advance(days: 30)
            #expect(try await ids("status=expired") == [soon])
        }
    }

    @Test func licenseIssuedWithDefaultsGetsThePolicyDurationAndASignedKey() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let catalog = try await client.catalog()
            _ = try await client.create("/v1/products/\(catalog.product)/entitlements", ["code": "sso"])
            let license = try await client.create(
                "/v1/licenses",
                ["policyId": catalog.policy, "customerId": catalog.customer, "limitOverrides": ["maxMachines": 20, "maxWorkflows": "unlimited"],
                 "entitlements": ["sso"], "metadata": ["order": "42"]])
            #expect(license["expiresAt"] as? String == "2028-01-15T08:00:00Z")
            #expect(license["status"] as? String == "active" && license["tier"] as? String == "Professional")
            #expect((license["key"] as? String)?.hasPrefix("TG1-") == true)
            let summary = try await client.validate(license["key"] as! String, scope: ["entitlements": ["sso"]]).object["license"] as! [String: Any]
            let limits = summary["limits"] as! [String: Any]
            #expect(limits["maxMachines"] as? Int == 20 && limits["maxWorkflows"] as? String == "unlimited")
            let patched = try await client.send(.patch, "/v1/licenses/\(license["id"]!)", ["limitOverrides": ["maxMachines": nil as Any? ?? NSNull()]])
            #expect((patched.object["limitOverrides"] as? [String: Any])?["maxMachines"] == nil)
        }
    }

    @Test func lifecycleActionsAnswer409WithAReasonWhenNotAllowed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let base = "/v1/licenses/\(license.id)/actions"
            #expect(try await client.send(.post, "\(base)/reinstate").errorCode == "LICENSE_NOT_SUSPENDED")
            #expect(try await client.send(.post, "\(base)/suspend").object["status"] as? String == "suspended")
            #expect(try await client.send(.post, "\(base)/suspend").errorCode == "LICENSE_ALREADY_SUSPENDED")
            #expect(try await client.send(.post, "\(base)/reinstate").object["status"] as? String == "active")
            let renewed = try await client.send(.post, "\(base)/renew").object
            #expect(renewed["expiresAt"] as? String == "2029-01-14T08:00:00Z")
            #expect(try await client.send(.post, "\(base)/change-policy", ["policyId": license.policy]).errorCode == "POLICY_UNCHANGED")
            let enterprise = try await client.create("/v1/policies/presets/enterprise", ["productId": license.product])["id"] as! String
            let upgraded = try await client.send(.post, "\(base)/change-policy", ["policyId": enterprise]).object
            #expect(upgraded["tier"] as? String == "Enterprise" && upgraded["revocationVersion"] as? Int == 2)
            let foreign = try await client.catalog().policy
            let mismatch = try await client.send(.post, "\(base)/change-policy", ["policyId": foreign])
            #expect(mismatch.status == 422 && mismatch.errorCode == "POLICY_PRODUCT_MISMATCH")
            #expect(try await client.send(.post, "\(base)/revoke").object["status"] as? String == "revoked")
            for action in ["suspend", "reinstate", "renew", "revoke"] {
                let reply = try await client.send(.post, "\(base)/\(action)")
                #expect(reply.status == 409 && reply.errorCode == "LICENSE_REVOKED")
            }
            #expect(try await client.send(.post, "\(base)/explode").status == 404)
            let perpetual = try await client.license(preset: "community")
            #expect(try await client.send(.post, "/v1/licenses/\(perpetual.id)/actions/renew").errorCode == "LICENSE_PERPETUAL")
        }
    }
}
