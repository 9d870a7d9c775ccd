import Foundation
import HTTPTypes
import Testing
@testable import TollgateServer

/// A token with a `productId` reaches that product's objects only (``ProductScope``).
@Suite struct ProductScopeTests {
    @Test func aProductsTokenSeesAndChangesOnlyItsProduct() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let mine = try await client.license()
            let other = try await client.license()
            let unknown = try await client.send(.post, "/v1/tokens", ["name": "x", "role": "admin", "productId": "prd_none"])
            #expect(unknown.status == 422 && unknown.error["field"] as? String == "productId")
            let created = try await client.send(.post, "/v1/tokens", ["name": "Engine CI", "role": "admin", "productId": mine.product])
            #expect(created.status == 201 && created.object["productId"] as? String == mine.product)
            let token = try #require(created.object["secret"] as? String)
            func send(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil) async throws -> TestApp.Reply {
                try await client.send(method, path, body, token: token)
            }

            // Lists hold the product's objects only.
            #expect(try await send(.get, "/v1/licenses").list.map { $0["id"] as? String } == [mine.id])
            #expect(try await send(.get, "/v1/licenses?productId=\(other.product)").list.map { $0["id"] as? String } == [mine.id])
            #expect(try await send(.get, "/v1/products").list.map { $0["id"] as? String } == [mine.product])
            #expect(try await send(.get, "/v1/policies").list.allSatisfy { $0["productId"] as? String == mine.product })
            #expect(try await send(.get, "/v1/customers").status == 200, "customers are the account's")

            // Another product's objects are not there.
            for path in ["/v1/licenses/\(other.id)", "/v1/products/\(other.product)", "/v1/policies/\(other.policy)", "/v1/licenses/\(other.id)/quotas",
                         "/v1/licenses/\(other.id)/machines", "/v1/products/\(other.product)/entitlements"] {
                #expect(try await send(.get, path).status == 404, "\(path)")
            }
            #expect(try await send(.post, "/v1/licenses/\(other.id)/actions/suspend").status == 404)
            #expect(try await client.send(.get, "/v1/licenses/\(other.id)").object["status"] as? String == "active", "nothing happened to it")
            let foreign = try await send(.post, "/v1/licenses", ["policyId": other.policy, "customerId": "cus_x"])
            #expect(foreign.status == 422 && foreign.error["field"] as? String == "policyId")
            let machine = try await client.activate(other.key, fingerprint: "fp-other").object["machine"] as? [String: Any]
            #expect(try await send(.get, "/v1/machines/\(machine?["id"] as! String)").status == 404)
            #expect(try await send(.delete, "/v1/machines/\(machine?["id"] as! String)").status == 404)
            #expect(try await send(.get, "/v1/machines").status == 422, "machines are listed per license")
            #expect(try await send(.post, "/v1/usage/check", ["licenseId": other.id, "meter": "executions", "quantity": 1]).status == 404)

            // Its own product works as with any token.
            #expect(try await send(.get, "/v1/licenses/\(mine.id)").status == 200)
            #expect(try await send(.post, "/v1/licenses/\(mine.id)/actions/suspend").status == 200)
            let customer = try await send(.post, "/v1/customers", ["name": "Initech"]).object["id"] as! String
            let policy = try await send(.get, "/v1/policies").list[0]["id"] as! String
            #expect(try await send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).status == 201)
            #expect(try await send(.get, "/v1/machines?licenseId=\(mine.id)").status == 200)
            #expect(try await send(.get, "/v1/analytics/usage?meter=executions").status != 403)

            // What is the whole account's is refused.
            for (method, path) in [(HTTPRequest.Method.get, "/v1/keys"), (.get, "/v1/tokens"), (.post, "/v1/tokens"), (.get, "/v1/users"), (.get, "/v1/events"),
                                   (.get, "/v1/audit-events"), (.patch, "/v1/account"), (.post, "/v1/products"), (.post, "/v1/meters"), (.post, "/v1/usage/events")] {
                let reply = try await send(method, path, method == .get ? nil : [:])
                #expect(reply.status == 403 && reply.errorCode == "PERMISSION_DENIED", "\(method) \(path): \(reply.status)")
            }
            #expect(try await send(.get, "/v1/analytics/usage?meter=executions&customerId=cus_x").status == 403)
            #expect(try await send(.get, "/v1/account").status == 200)
        }
    }
}
