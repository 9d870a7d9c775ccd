import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TollgateStore
import Logging
import Testing
@testable import TollgateServer

@Suite struct OpenAPITests {
    /// Every registered route is documented and every documented route is registered.
    @Test func documentMatchesTheRegisteredRoutes() async throws {
        let app = try await TestApp.make()
        let router = try buildRouter(app.built.services)
        // The portals' pages and assets are HTML, not the API.
        let api = router.routes.filter { route in !["admin", "portal", "assets"].contains(where: { route.path.description.hasPrefix($0) || route.path.description.hasPrefix("/\($0)") }) }
        let registered = Set(api.map { route -> String in
            let path = route.path.description.replacingOccurrences(of: #":([A-Za-z]+)"#, with: "{$1}", options: .regularExpression)
            return "\(route.method.rawValue.uppercased()) \(path.hasPrefix("/") ? path : "/" + path)"
        })
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as! [String: [String: Any]]
        let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
        #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not registered: \(documented.subtracting(registered).sorted())")
        #expect(registered.count > 25)
        try? FileManager.default.removeItem(atPath: app.directory)
    }

    @Test func documentIsServed() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let reply = try await client.send(.get, "/openapi.json", token: nil)
            #expect(reply.status == 200 && reply.object["paths"] != nil)
        }
    }

    static var document: [String: Any] { try! JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any] }
    static var operations: [(method: String, path: String, operation: [String: Any])] {
        (document["paths"] as! [String: [String: [String: Any]]]).flatMap { path, operations in
            operations.map { (method: $0.key.uppercased(), path: path, operation: $0.value) }
        }
    }

    /// Resolves `$ref`s of the document's schemas.
    static func schema(_ value: [String: Any]) -> [String: Any] {
        guard let ref = value["$ref"] as? String else { return value }
        let schemas = (document["components"] as! [String: Any])["schemas"] as! [String: [String: Any]]
        return schemas[String(ref.split(separator: "/").last!)]!
    }

    @Test func mergePatchBodiesHaveOnlyOptionalFields() throws {
        let patches = Self.operations.filter { $0.method == "PATCH" }
        #expect(patches.count == 7)
        for patch in patches {
            let content = ((patch.operation["requestBody"] as! [String: Any])["content"] as! [String: [String: Any]])["application/json"]!
            let schema = Self.schema(content["schema"] as! [String: Any])
            #expect(schema["required"] == nil, "PATCH \(patch.path) requires \(schema["required"] ?? "")")
            #expect((schema["properties"] as? [String: Any])?.isEmpty == false)
        }
    }

    @Test func onlyTheActionThatTakesABodyDocumentsOne() throws {
        let actions = Self.operations.filter { $0.path.hasPrefix("/v1/licenses/{id}/actions/") && $0.path != "/v1/licenses/{id}/actions/check-out" }
        #expect(Set(actions.map(\.path)) == Set(["suspend", "reinstate", "renew", "revoke", "change-policy"].map { "/v1/licenses/{id}/actions/\($0)" }))
        for action in actions {
            #expect((action.operation["requestBody"] != nil) == action.path.hasSuffix("change-policy"), "\(action.path)")
        }
    }

    /// A broad walk over the API, good requests and bad: every status an answer had is listed
    /// under its operation in the document.
    @Test func everyAnswerTheServerGivesIsDocumented() async throws {
        let app = try await TestApp.make(maxBodyBytes: 4096)
        let seen = Seen()
        try await app.run { client in
            func send(_ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil, token: String? = TestApp.adminToken, headers: [String: String] = [:], raw: String? = nil) async throws -> TestApp.Reply {
                let reply = try await client.send(method, path, body, token: token, headers: headers, raw: raw)
                await seen.add(method.rawValue, String(path.split(separator: "?").first!), reply.status)
                return reply
            }
            func license(_ key: String) -> [String: String] { ["Authorization": "License \(key)"] }
            // Resources.
            let product = try await send(.post, "/v1/products", ["code": "walk", "name": "Walk"]).object["id"] as! String
            let other = try await send(.post, "/v1/products", ["code": "other", "name": "Other"]).object["id"] as! String
            _ = try await send(.post, "/v1/products", ["code": "walk", "name": "Again"])
            _ = try await send(.patch, "/v1/products/\(other)", ["code": "walk"])
            _ = try await send(.patch, "/v1/products/\(other)", ["name": "Renamed", "metadata": NSNull()])
            _ = try await send(.post, "/v1/products", raw: "{not json")
            _ = try await send(.post, "/v1/products", ["code": "x", "name": "X", "colour": "red"])
            _ = try await send(.post, "/v1/products", ["code": "big", "name": String(repeating: "x", count: 5000)])
            _ = try await send(.get, "/v1/products", token: nil)
            _ = try await send(.get, "/v1/products?limit=500")
            _ = try await send(.get, "/v1/products/prd_missing")
            _ = try await send(.get, "/v1/products/\(product)")
            let policy = try await send(.post, "/v1/policies/presets/professional", ["productId": product]).object["id"] as! String
            _ = try await send(.post, "/v1/policies/presets/gold", ["productId": product])
            let small = try await send(.post, "/v1/policies", ["productId": product, "name": "Small", "maxMachines": 1, "limits": ["concurrentExecutions": 1]]).object["id"] as! String
            _ = try await send(.patch, "/v1/policies/\(small)", ["productId": other])
            _ = try await send(.patch, "/v1/policies/\(small)", ["maxMachines": 2])
            _ = try await send(.get, "/v1/policies?productId=\(product)")
            _ = try await send(.get, "/v1/policies/\(small)")
            let customer = try await send(.post, "/v1/customers", ["name": "Acme", "email": "ops@acme.test"]).object["id"] as! String
            _ = try await send(.patch, "/v1/customers/\(customer)", ["email": NSNull()])
            _ = try await send(.get, "/v1/customers")
            _ = try await send(.get, "/v1/customers/\(customer)")
            // Licenses and their actions.
            let created = try await send(.post, "/v1/licenses", ["policyId": small, "customerId": customer]).object
            let (lic, key) = (created["id"] as! String, created["key"] as! String)
            _ = try await send(.post, "/v1/licenses", ["policyId": "pol_missing", "customerId": customer])
            _ = try await send(.get, "/v1/licenses?status=bogus")
            _ = try await send(.get, "/v1/licenses?status=active")
            _ = try await send(.get, "/v1/licenses/\(lic)")
            _ = try await send(.patch, "/v1/licenses/\(lic)", ["metadata": ["a": "b"]])
            _ = try await send(.get, "/v1/licenses/\(lic)/validations")
            _ = try await send(.get, "/v1/products", headers: license(key))
            _ = try await send(.post, "/v1/licenses/validate", ["key": key], token: nil)
            _ = try await send(.post, "/v1/licenses/validate", token: nil, raw: "[]")
            _ = try await send(.post, "/v1/licenses/validate", ["nonce": "n"], token: nil)
            // Machines, files, leases and tokens.
            let activated = try await send(.post, "/v1/machines", ["fingerprint": "fp-1"], token: nil, headers: license(key)).object
            let machine = (activated["machine"] as! [String: Any])["id"] as! String
            let token = activated["token"] as! String
            _ = try await send(.post, "/v1/machines", ["fingerprint": "fp-1"], token: nil, headers: license(key))
            _ = try await send(.post, "/v1/machines", ["fingerprint": "fp-2"], token: nil, headers: license(key))
            _ = try await send(.post, "/v1/machines", ["fingerprint": "fp-3", "licenseId": lic])
            _ = try await send(.post, "/v1/machines", ["fingerprint": "fp-3"], token: token)
            _ = try await send(.post, "/v1/machines", ["fingerprint": "fp 3"], token: nil, headers: license(key))
            _ = try await send(.get, "/v1/machines")
            _ = try await send(.get, "/v1/machines/\(machine)", token: token)
            _ = try await send(.get, "/v1/licenses/\(lic)/machines", token: nil, headers: license(key))
            _ = try await send(.post, "/v1/machines/\(machine)/heartbeat", token: token)
            _ = try await send(.post, "/v1/machines/\(machine)/actions/check-out", ["encrypt": true], token: token)
            _ = try await send(.post, "/v1/machines/\(machine)/actions/check-out", ["ttlSeconds": 5], token: token)
            _ = try await send(.post, "/v1/licenses/\(lic)/actions/check-out", [:], token: nil, headers: license(key))
            let lease = try await send(.post, "/v1/licenses/\(lic)/leases", ["ttlSeconds": 60], token: token).object["id"] as! String
            _ = try await send(.post, "/v1/licenses/\(lic)/leases", ["ttlSeconds": 60], token: token)
            _ = try await send(.get, "/v1/licenses/\(lic)/leases", token: token)
            _ = try await send(.post, "/v1/licenses/\(lic)/leases/\(lease)/actions/renew", ["ttlSeconds": 60], token: token)
            _ = try await send(.delete, "/v1/licenses/\(lic)/leases/\(lease)", token: token)
            _ = try await send(.delete, "/v1/licenses/\(lic)/leases/\(lease)", token: token)
            _ = try await send(.post, "/v1/tokens/verify", ["token": token], token: nil)
            _ = try await send(.post, "/v1/machines/offline-activations", ["request": "nonsense"], token: nil)
            _ = try await send(.post, "/v1/machines/offline-deactivations", ["receipt": "nonsense"], token: nil)
            for action in ["suspend", "suspend", "reinstate", "reinstate", "renew"] {
                _ = try await send(.post, "/v1/licenses/\(lic)/actions/\(action)")
            }
            _ = try await send(.post, "/v1/licenses/\(lic)/actions/change-policy", ["policyId": policy])
            _ = try await send(.post, "/v1/licenses/\(lic)/actions/change-policy", ["policyId": policy])
            _ = try await send(.get, "/v1/machines/\(machine)", token: token)
            _ = try await send(.post, "/v1/licenses/\(lic)/actions/revoke")
            _ = try await send(.post, "/v1/licenses/\(lic)/actions/revoke")
            _ = try await send(.post, "/v1/machines", ["fingerprint": "fp-9"], token: nil, headers: license(key))
            _ = try await send(.delete, "/v1/machines/\(machine)", token: token)
            _ = try await send(.delete, "/v1/machines/\(machine)", token: nil, headers: license(key))
            // Audit, keys and operations.
            _ = try await send(.get, "/v1/audit-events?limit=5")
            _ = try await send(.get, "/v1/audit-events/verify")
            _ = try await send(.get, "/v1/keys")
            let kid = try await send(.post, "/v1/keys/actions/rotate").object["kid"] as! String
            _ = try await send(.post, "/v1/keys/actions/rotate", ["x": 1])
            _ = try await send(.post, "/v1/keys/\(kid)/actions/retire", headers: ["Idempotency-Key": "r1"])
            _ = try await send(.post, "/v1/keys/\(kid)/actions/retire")
            _ = try await send(.post, "/v1/keys/kid_missing/actions/retire")
            for path in ["/.well-known/jwks.json", "/healthz", "/readyz", "/metrics", "/openapi.json"] { _ = try await send(.get, path, token: nil) }
        }
        let templates = Self.operations.map { (method: $0.method, path: $0.path, responses: Set(($0.operation["responses"] as! [String: Any]).keys)) }
        var undocumented: [String] = []
        for (method, path, status) in await seen.all {
            let matches = templates.filter { $0.method == method && Self.matches(template: $0.path, path: path) }
            // The most specific template: fewest parameters.
            guard let template = matches.min(by: { $0.path.count(where: { $0 == "{" }) < $1.path.count(where: { $0 == "{" }) }) else {
                undocumented.append("\(method) \(path): no operation")
                continue
            }
            if !template.responses.contains(String(status)) { undocumented.append("\(method) \(template.path) answered \(status)") }
        }
        #expect(undocumented.isEmpty, "\(Set(undocumented).sorted().joined(separator: "\n"))")
        let count = await seen.all.count
        #expect(count > 80, "\(count) answers")
    }

    static func matches(template: String, path: String) -> Bool {
        let a = template.split(separator: "/"), b = path.split(separator: "/")
        return a.count == b.count && zip(a, b).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    actor Seen {
        var all: [(String, String, Int)] = []
        func add(_ method: String, _ path: String, _ status: Int) { all.append((method, path, status)) }
    }
}
