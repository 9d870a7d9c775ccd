import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import Logging
import Testing
@testable import TollgateServer

/// Bad input on every endpoint that takes a body: a 4xx in the one error shape, and nothing
/// written (the audit chain and the lists do not grow).
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var raw: String
        var status: Int
        var code: String
        var field: String?
        var testDescription: String { "\(method) \(path) \(raw.prefix(50))" }
    }

    static func cases(product: String, policy: String, customer: String, license: String) -> [Case] {
        [
            Case(method: .post, path: "/v1/products", raw: "{", status: 400, code: "MALFORMED_JSON"),
            Case(method: .post, path: "/v1/products", raw: "", status: 400, code: "MALFORMED_JSON"),
            Case(method: .post, path: "/v1/products", raw: "[1]", status: 400, code: "MALFORMED_JSON"),
            Case(method: .post, path: "/v1/products", raw: #"{"name":"x"}"#, status: 422, code: "MISSING_FIELD", field: "code"),
            Case(method: .post, path: "/v1/products", raw: #"{"code":7,"name":"x"}"#, status: 422, code: "INVALID_TYPE", field: "code"),
            Case(method: .post, path: "/v1/products", raw: #"{"code":"Bad Code","name":"x"}"#, status: 422, code: "VALIDATION_FAILED", field: "code"),
            Case(method: .post, path: "/v1/products", raw: #"{"code":"a","name":"x","colour":"red"}"#, status: 422, code: "UNKNOWN_FIELD", field: "colour"),
            Case(method: .post, path: "/v1/products", raw: #"{"code":"a","name":"x","metadata":{"k":1}}"#, status: 422, code: "INVALID_TYPE", field: "metadata.k"),
            Case(method: .patch, path: "/v1/products/\(product)", raw: #"{"name":""}"#, status: 422, code: "VALIDATION_FAILED", field: "name"),
            Case(method: .patch, path: "/v1/products/\(product)", raw: #"{"name":null}"#, status: 422, code: "MISSING_FIELD", field: "name"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"Seats"}"#, status: 422, code: "MISSING_FIELD", field: "aggregation"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"Bad Code","name":"x","aggregation":"count"}"#, status: 422, code: "INVALID_LIMIT_CODE", field: "code"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"median"}"#, status: 422, code: "INVALID_VALUE", field: "aggregation"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"count","property":"n"}"#, status: 422, code: "VALIDATION_FAILED", field: "property"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"unique_count"}"#, status: 422, code: "VALIDATION_FAILED", field: "property"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"sum","property":"1x"}"#, status: 422, code: "VALIDATION_FAILED", field: "property"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"sum","filters":{"region":[]}}"#, status: 422, code: "VALIDATION_FAILED", field: "filters"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"sum","groupBy":["a","a"]}"#, status: 422, code: "VALIDATION_FAILED", field: "groupBy"),
            Case(method: .post, path: "/v1/meters", raw: #"{"code":"seats","name":"x","aggregation":"sum","unit":"h"}"#, status: 422, code: "UNKNOWN_FIELD", field: "unit"),
            Case(method: .post, path: "/v1/usage/events", raw: #"{"events":"#, status: 400, code: "MALFORMED_JSON", field: nil),
            Case(method: .post, path: "/v1/usage/events", raw: #"[]"#, status: 422, code: "INVALID_USAGE_EVENT", field: "events"),
            Case(method: .post, path: "/v1/usage/events", raw: #"{"events":{}}"#, status: 422, code: "INVALID_TYPE", field: "events"),
            Case(method: .post, path: "/v1/usage/events", raw: #"true"#, status: 400, code: "MALFORMED_JSON", field: nil),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","machineBinding":"cluster"}"#, status: 422, code: "INVALID_VALUE", field: "machineBinding"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","expirationStrategy":"explode"}"#, status: 422, code: "INVALID_VALUE", field: "expirationStrategy"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","limits":{"Max Workflows":3}}"#, status: 422, code: "INVALID_LIMIT_CODE", field: "limits.Max Workflows"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","limits":{"seats":"lots"}}"#, status: 422, code: "INVALID_VALUE", field: "limits.seats"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","limits":{"seats":3},"limitPeriods":{"seat":"month"}}"#, status: 422, code: "UNKNOWN_LIMIT", field: "limitPeriods.seat"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","limits":{"seats":3},"limitPeriods":{"seats":"week"}}"#, status: 422, code: "INVALID_VALUE", field: "limitPeriods.seats"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","entitlements":["sso-typo"]}"#, status: 422, code: "UNKNOWN_ENTITLEMENT", field: "entitlements"),
            Case(method: .post, path: "/v1/products/\(product)/entitlements", raw: #"{"code":"Bad Code"}"#, status: 422, code: "VALIDATION_FAILED", field: "code"),
            Case(method: .post, path: "/v1/products/prd_nope/entitlements", raw: #"{"code":"sso"}"#, status: 404, code: "NOT_FOUND"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","durationDays":"ten"}"#, status: 422, code: "INVALID_TYPE", field: "durationDays"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"\#(product)","name":"x","durationDays":1.5}"#, status: 422, code: "INVALID_VALUE", field: "durationDays"),
            Case(method: .post, path: "/v1/policies", raw: #"{"productId":"prd_nope","name":"x"}"#, status: 422, code: "REFERENCE_NOT_FOUND", field: "productId"),
            Case(method: .post, path: "/v1/policies/presets/community", raw: "{}", status: 422, code: "MISSING_FIELD", field: "productId"),
            Case(method: .patch, path: "/v1/policies/\(policy)", raw: #"{"maxMachines":0}"#, status: 422, code: "VALIDATION_FAILED", field: "maxMachines"),
            Case(method: .post, path: "/v1/customers", raw: #"{"name":"x","email":"not-an-email"}"#, status: 422, code: "VALIDATION_FAILED", field: "email"),
            Case(method: .patch, path: "/v1/customers/\(customer)", raw: #"{"email":5}"#, status: 422, code: "INVALID_TYPE", field: "email"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"\#(policy)"}"#, status: 422, code: "MISSING_FIELD", field: "customerId"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"pol_x","customerId":"\#(customer)"}"#, status: 422, code: "REFERENCE_NOT_FOUND", field: "policyId"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"\#(policy)","customerId":"cus_x"}"#, status: 422, code: "REFERENCE_NOT_FOUND", field: "customerId"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"\#(policy)","customerId":"\#(customer)","expiresAt":"tomorrow"}"#, status: 422, code: "INVALID_VALUE", field: "expiresAt"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"\#(policy)","customerId":"\#(customer)","expiresAt":"2020-01-01T00:00:00Z"}"#, status: 422, code: "VALIDATION_FAILED", field: "expiresAt"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"\#(policy)","customerId":"\#(customer)","limitOverrides":{"maxSeats":3}}"#, status: 422, code: "UNKNOWN_LIMIT", field: "limitOverrides.maxSeats"),
            Case(method: .post, path: "/v1/licenses", raw: #"{"policyId":"\#(policy)","customerId":"\#(customer)","limitOverrides":{"maxMachines":0}}"#, status: 422, code: "VALIDATION_FAILED", field: "limitOverrides.maxMachines"),
            Case(method: .patch, path: "/v1/licenses/\(license)", raw: #"{"state":"active"}"#, status: 422, code: "UNKNOWN_FIELD", field: "state"),
            Case(method: .patch, path: "/v1/licenses/\(license)", raw: #"{"entitlements":"sso"}"#, status: 422, code: "INVALID_TYPE", field: "entitlements"),
            Case(method: .post, path: "/v1/licenses/\(license)/actions/suspend", raw: #"{"reason":"x"}"#, status: 422, code: "UNKNOWN_FIELD", field: "reason"),
            Case(method: .post, path: "/v1/licenses/\(license)/actions/change-policy", raw: "{}", status: 422, code: "MISSING_FIELD", field: "policyId"),
            Case(method: .post, path: "/v1/licenses/\(license)/actions/change-policy", raw: #"{"policyId":"pol_x"}"#, status: 422, code: "REFERENCE_NOT_FOUND", field: "policyId"),
            Case(method: .post, path: "/v1/keys/actions/rotate", raw: #"{"x":1}"#, status: 422, code: "UNKNOWN_FIELD", field: "x"),
            Case(method: .get, path: "/v1/licenses?status=dormant", raw: "", status: 400, code: "INVALID_PARAMETER", field: "status"),
            Case(method: .get, path: "/v1/licenses?expiringBefore=soon", raw: "", status: 400, code: "INVALID_PARAMETER", field: "expiringBefore"),
            Case(method: .get, path: "/v1/products?limit=1000", raw: "", status: 400, code: "INVALID_PARAMETER", field: "limit"),
            Case(method: .get, path: "/v1/audit-events?cursor=abc", raw: "", status: 400, code: "INVALID_PARAMETER", field: "cursor"),
            Case(method: .post, path: "/v1/keys/nope/actions/retire", raw: "", status: 404, code: "NOT_FOUND"),
            Case(method: .get, path: "/v1/nothing-here", raw: "", status: 404, code: "ROUTE_NOT_FOUND"),
        ]
    }

    @Test func everyEndpointAnswersBadInputWith4xxAndWritesNothing() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license()
            let product = license.product
            let customer = try await client.send(.get, "/v1/customers").list[0]["id"] as! String
            let before = try await client.auditCount()
            let counts = try await snapshot(client)
            for item in Self.cases(product: product, policy: license.policy, customer: customer, license: license.id) {
                let reply = try await client.send(item.method, item.path, raw: item.raw.isEmpty && item.method == .get ? nil : item.raw)
                #expect(reply.status == item.status, "\(item.testDescription): \(reply.text)")
                #expect(reply.errorCode == item.code, "\(item.testDescription): \(reply.text)")
                #expect((reply.error["message"] as? String)?.isEmpty == false)
                #expect(reply.error["field"] as? String == item.field, "\(item.testDescription): \(reply.text)")
                #expect(reply.header("Content-Type") == "application/json")
            }
            #expect(try await client.auditCount() == before)
            #expect(try await snapshot(client) == counts)
        }
    }

    func snapshot(_ client: TestApp.Client) async throws -> [String] {
        var rows: [String] = []
        for path in ["/v1/products", "/v1/policies", "/v1/customers", "/v1/licenses"] {
            rows += try await client.send(.get, path).list.map { "\($0["id"]!) \($0["updatedAt"]!)" }
        }
        return rows
    }

    @Test func oversizedBodiesAnswer413() async throws {
        let app = try await TestApp.make(maxBodyBytes: 4096)
        try await app.run { client in
            let big = String(repeating: "x", count: 10_000)
            for path in ["/v1/products", "/v1/customers", "/v1/policies", "/v1/licenses"] {
                let reply = try await client.send(.post, path, raw: #"{"name":"\#(big)"}"#)
                #expect(reply.status == 413 && reply.errorCode == "PAYLOAD_TOO_LARGE", "\(path)")
                // With an Idempotency-Key the middleware buffers the body first; the route's limit still holds.
                let keyed = try await client.send(.post, path, headers: ["Idempotency-Key": "k-\(path)"], raw: #"{"name":"\#(big)"}"#)
                #expect(keyed.status == 413 && keyed.errorCode == "PAYLOAD_TOO_LARGE", "\(path) with a key")
            }
            // The account, its token and its first owner's invitation.
            #expect(try await client.auditCount() == 3)
            // A usage batch may be larger than other bodies (4 MiB), with or without a key.
            let batch = (0..<100).map { #"{"id":"e\#($0)","meter":"executions","licenseId":"lic_x","properties":{"note":"\#(String(repeating: "y", count: 60))"}}"# }
            let body = "[" + batch.joined(separator: ",") + "]"
            #expect(body.utf8.count > 4096)
            for headers in [[:], ["Idempotency-Key": "usage-1"]] {
                let reply = try await client.send(.post, "/v1/usage/events", headers: headers, raw: body)
                #expect(reply.status == 200 && reply.object["rejected"] as? Int == 100, "\(headers): \(reply.status)")
            }
        }
    }
}
