import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// A revoked credential is refused on every route that takes it, not just at the heartbeat: a
/// machine token whose license or machine changed, and a license key whose signing key was
/// retired. The routes are read from the API document, so a route added later without the
/// check fails here.
@Suite struct RevokedCredentialTests {
    /// Every documented operation that accepts a machine token, as `METHOD path-template`.
    static func machineTokenOperations() throws -> [(method: String, path: String)] { try operations(accepting: "machineToken") }

    /// Every documented operation whose security lists `scheme`.
    static func operations(accepting scheme: String) throws -> [(method: String, path: String)] {
        let document = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as! [String: Any]
        let paths = document["paths"] as! [String: [String: [String: Any]]]
        return paths.flatMap { path, operations in
            operations.compactMap { method, operation -> (String, String)? in
                let schemes = (operation["security"] as? [[String: Any]] ?? []).flatMap(\.keys)
                return schemes.contains(scheme) ? (method.uppercased(), path) : nil
            }
        }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    struct Fixture {
        var license: (id: String, key: String, product: String, policy: String)
        var machine: String
        var token: String
        var lease: String
    }

    func fixture(_ client: TestApp.Client) async throws -> Fixture {
        _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
        let license = try await client.license(policy: [
            "name": "Walk", "maxMachines": 3, "limits": ["concurrentExecutions": 5, "executions": 100], "limitPeriods": ["executions": "month"],
        ])
        let activated = try await client.activate(license.key, fingerprint: "fp-walk")
        let machine = (activated.object["machine"] as! [String: Any])["id"] as! String
        let token = try #require(activated.object["token"] as? String)
        let lease = try await client.send(.post, "/v1/licenses/\(license.id)/leases", licenseKey: license.key).object["id"] as! String
        return Fixture(license: license, machine: machine, token: token, lease: lease)
    }

    /// Sends `method path` with `token` (or `Authorization: License <licenseKey>`), the
    /// template's ids filled from `fixture`.
    func call(_ client: TestApp.Client, _ method: String, _ template: String, token: String? = nil, licenseKey: String? = nil, _ fixture: Fixture) async throws -> TestApp.Reply {
        let path = template
            .replacingOccurrences(of: "/v1/machines/{id}", with: "/v1/machines/\(fixture.machine)")
            .replacingOccurrences(of: "/v1/licenses/{id}", with: "/v1/licenses/\(fixture.license.id)")
            .replacingOccurrences(of: "{lease}", with: fixture.lease)
            .replacingOccurrences(of: "/v1/products/{id}", with: "/v1/products/\(fixture.license.product)")
        let bodies: [String: [String: Any]] = [
            "/v1/machines": ["fingerprint": "fp-\(UUID().uuidString.prefix(8))"], "/v1/usage/check": ["meter": "executions"],
            "/v1/usage/estimate": ["usage": ["executions": 1]],
        ]
        let body: [String: Any]? = method == "POST" ? bodies[path] ?? [:] : nil
        if let licenseKey { return try await client.send(HTTPRequest.Method(method)!, path, body, token: nil, headers: ["Authorization": "License \(licenseKey)"]) }
        return try await client.send(HTTPRequest.Method(method)!, path, body, token: token)
    }

    @Test func aLicenseKeySignedByARetiredKeyIsRefusedOnEveryRouteThatTakesLicenseKeys() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let walk = try await fixture(client)
            let operations = try Self.operations(accepting: "license")
            #expect(operations.count >= 11 && operations.contains { $0 == ("POST", "/v1/machines") })
            let oldKid = try #require(try await client.send(.get, "/v1/keys").list.first?["kid"] as? String)
            #expect(try await client.send(.post, "/v1/keys/actions/rotate").status == 201)
            #expect(try await client.send(.post, "/v1/keys/\(oldKid)/actions/retire").status == 200)
            for (method, path) in operations {
                let reply = try await call(client, method, path, licenseKey: walk.license.key, walk)
                #expect(reply.status == 401 && reply.errorCode == "LICENSE_KEY_INVALID", "\(method) \(path): \(reply.status) \(reply.text)")
            }
        }
    }

    /// A suspended license's key still reads and gives back (the customer must learn why and free
    /// seats), but everything that consumes — activating, checking out, taking or renewing a
    /// lease — answers 403 SUSPENDED, and a heartbeat answers `valid: false` without a token.
    /// Usage it reports is still recorded: it happened (offline, before the suspension reached
    /// the app), and billing needs it.
    @Test func aSuspendedLicensesKeyReadsAndGivesBackButConsumesNothing() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let walk = try await fixture(client)
            try await client.send(.post, "/v1/licenses/\(walk.license.id)/actions/suspend")
            let expected: [String: Int] = [
                "POST /v1/machines": 403, "GET /v1/machines/{id}": 200, "POST /v1/machines/{id}/heartbeat": 200,
                "POST /v1/machines/{id}/actions/check-out": 403, "GET /v1/licenses/{id}/machines": 200,
                "POST /v1/licenses/{id}/actions/check-out": 403, "POST /v1/licenses/{id}/leases": 403, "GET /v1/licenses/{id}/leases": 200,
                "POST /v1/licenses/{id}/leases/{lease}/actions/renew": 403, "DELETE /v1/licenses/{id}/leases/{lease}": 204,
                "DELETE /v1/machines/{id}": 200, "GET /v1/products/{id}/tiers": 200, "POST /v1/usage/events": 200,
                "GET /v1/licenses/{id}/quotas": 200, "POST /v1/usage/check": 200, "POST /v1/usage/estimate": 200,
            ]
            let operations = try Self.operations(accepting: "license").sorted { ($0.method == "DELETE" ? 1 : 0) < ($1.method == "DELETE" ? 1 : 0) }
            #expect(Set(operations.map { "\($0.method) \($0.path)" }) == Set(expected.keys))
            for (method, path) in operations {
                let reply = try await call(client, method, path, licenseKey: walk.license.key, walk)
                #expect(reply.status == expected["\(method) \(path)"], "\(method) \(path): \(reply.status) \(reply.text)")
                if reply.status == 403 { #expect(reply.errorCode == "SUSPENDED") }
                if path.hasSuffix("/heartbeat") { #expect(reply.object["valid"] as? Bool == false && reply.object["token"] is NSNull) }
            }
        }
    }

    @Test func theRoutesThatTakeMachineTokensAreTheMachineAndLeaseRoutes() throws {
        let operations = try Self.machineTokenOperations().map { "\($0.method) \($0.path)" }
        #expect(operations.contains("GET /v1/machines/{id}"))
        #expect(operations.contains("GET /v1/licenses/{id}/machines"))
        #expect(operations.contains("GET /v1/licenses/{id}/leases"))
        #expect(operations.count >= 10, "\(operations)")
        #expect(!operations.contains("POST /v1/machines"), "activation does not take machine tokens")
    }

    @Test(arguments: ["suspend", "revoke", "change-policy", "deactivate"])
    func aRevokedMachineTokenIsRefusedOnEveryRouteThatTakesMachineTokens(_ revocation: String) async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let walk = try await fixture(client)
            let operations = try Self.machineTokenOperations()
            // While current, the token works on every one of them.
            for (method, path) in operations where method != "DELETE" {
                let reply = try await call(client, method, path, token: walk.token, walk)
                #expect((200..<300).contains(reply.status), "\(method) \(path) with a current token: \(reply.status) \(reply.text)")
            }
            switch revocation {
            case "deactivate":
                #expect(try await client.send(.delete, "/v1/machines/\(walk.machine)", licenseKey: walk.license.key).status == 200)
            case "change-policy":
                let other = try await client.create("/v1/policies", ["productId": walk.license.product, "name": "Other", "maxMachines": 3])["id"] as! String
                #expect(try await client.send(.post, "/v1/licenses/\(walk.license.id)/actions/change-policy", ["policyId": other]).status == 200)
            default:
                #expect(try await client.send(.post, "/v1/licenses/\(walk.license.id)/actions/\(revocation)").status == 200)
            }
            for (method, path) in operations where !(method == "DELETE" && path == "/v1/machines/{id}") {
                let reply = try await call(client, method, path, token: walk.token, walk)
                #expect(reply.status == 401 && reply.errorCode == "TOKEN_REVOKED", "\(method) \(path) after \(revocation): \(reply.status) \(reply.text)")
                #expect(reply.error["licenseStatus"] is String, "\(method) \(path) names the license's status")
            }
            // Giving the seat back is the one thing a revoked token may still do.
            let giveBack = try await client.send(.delete, "/v1/machines/\(walk.machine)", token: walk.token)
            #expect(giveBack.status == (revocation == "deactivate" ? 409 : 200), "\(giveBack.text)")
        }
    }

    @Test func aRevokedTokenNoLongerReadsItsMachineOrItsLicensesMachinesAndLeases() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let walk = try await fixture(client)
            #expect(try await client.send(.get, "/v1/machines/\(walk.machine)", token: walk.token).status == 200)
            try await client.send(.post, "/v1/licenses/\(walk.license.id)/actions/suspend")
            for path in ["/v1/machines/\(walk.machine)", "/v1/licenses/\(walk.license.id)/machines", "/v1/licenses/\(walk.license.id)/leases"] {
                let reply = try await client.send(.get, path, token: walk.token)
                #expect(reply.status == 401 && reply.errorCode == "TOKEN_REVOKED", "\(path): \(reply.text)")
                #expect(reply.error["licenseStatus"] as? String == "suspended")
            }
            // The license key still reads them: suspension revokes tokens, not the customer's key.
            #expect(try await client.send(.get, "/v1/licenses/\(walk.license.id)/machines", licenseKey: walk.license.key).status == 200)
        }
    }

    @Test func anExpiredTokenPresentedInALoopWritesOneAuditSamplePerMinuteAndCountsEveryAttempt() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let walk = try await fixture(client)
            let before = try await client.auditCount()
            let metric = try await Self.refusals(client, "expired")
            app.clock.advance(by: 16 * 60)
            for _ in 0..<50 {
                #expect(try await client.send(.get, "/v1/machines/\(walk.machine)", token: walk.token).errorCode == "TOKEN_EXPIRED")
            }
            await app.built.flushTokenRefusals()
            #expect(try await client.auditCount() == before + 1)
            // The counter is process-wide (other suites run alongside): at least these 50.
            #expect(try await Self.refusals(client, "expired") >= metric + 50)
            // The next window gets the next sample.
            app.clock.advance(by: 61)
            #expect(try await client.send(.post, "/v1/tokens/verify", ["token": walk.token], token: nil).object["code"] as? String == "TOKEN_EXPIRED")
            await app.built.flushTokenRefusals()
            #expect(try await client.auditCount() == before + 2)
            #expect(try await client.auditActions().suffix(2) == ["token.refused", "token.refused"])
        }
    }

    @Test func aRevokedTokenPresentedInALoopWritesOneAuditSample() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let walk = try await fixture(client)
            try await client.send(.post, "/v1/licenses/\(walk.license.id)/actions/suspend")
            let before = try await client.auditCount()
            for _ in 0..<30 {
                #expect(try await client.send(.post, "/v1/machines/\(walk.machine)/heartbeat", token: walk.token).errorCode == "TOKEN_REVOKED")
                #expect(try await client.send(.post, "/v1/tokens/verify", ["token": walk.token], token: nil).object["code"] as? String == "TOKEN_REVOKED")
            }
            await app.built.flushTokenRefusals()
            #expect(try await client.auditCount() == before + 1)
        }
    }

    /// `tollgate_token_refusals_total{reason}` as `/metrics` shows it now (process-wide).
    static func refusals(_ client: TestApp.Client, _ reason: String) async throws -> Double {
        let text = try await client.send(.get, "/metrics", token: nil).text
        let line = text.split(separator: "\n").first { $0.hasPrefix("tollgate_token_refusals_total{reason=\"\(reason)\"}") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }
}
