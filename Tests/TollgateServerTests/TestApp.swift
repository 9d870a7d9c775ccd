import Foundation
import HTTPTypes
import Logging
import Hummingbird
import HummingbirdTesting
import NIOCore
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

/// A server on a fresh data directory with a manual clock, driven through Hummingbird's
/// router test client. Every test gets its own.
struct TestApp {
    static let adminToken = "tga_test-admin-token-0123456789"
    let built: BuiltApplication
    let clock: ManualClock
    let directory: String
    var configuration: ServerConfiguration

    /// A server over a new data directory (or PostgreSQL schema). By default it has started
    /// already (`startNow`), so a test may use its store before running it; with `startNow: false`
    /// it starts as `tollgate serve` does, in its service group, when ``run(_:)`` runs it.
    static func make(maxBodyBytes: Int = 1 << 20, startNow: Bool = true, environment: [String: String] = [:]) async throws -> TestApp {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-test-\(UUID().uuidString)").path
        var configuration = try ServerConfiguration().applying(environment: environment)
        configuration.dataDirectory = directory
        configuration.adminToken = adminToken
        configuration.port = 0
        configuration.maxBodyBytes = maxBodyBytes
        configuration.logLevel = .error
        // Tests move the clock and run due jobs themselves (`runDueJobs`, `sweepMachines`): the
        // server's own job runner would otherwise sweep whenever a test moves the clock past an interval.
        configuration.jobPollMilliseconds = 60_000
        // With TOLLGATE_TEST_DATABASE_URL (scripts/with-postgres), every test gets its own schema
        // of that PostgreSQL database instead of a SQLite file.
        if let url = ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"], !url.isEmpty {
            configuration.databaseURL = url + "?schema=t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        }
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let built = try await buildApplication(configuration, clock: clock, startNow: startNow)
        return TestApp(built: built, clock: clock, directory: directory, configuration: configuration)
    }

    /// Runs `body` against the router, then removes the data directory.
    func run(_ body: @Sendable (Client) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await built.application.test(.router) { client in try await body(Client(client: client)) }
    }

    /// A test client that speaks JSON.
    struct Client: Sendable {
        let client: any TestClientProtocol

        @discardableResult
        func send(
            _ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil, token: String? = TestApp.adminToken,
            headers extra: [String: String] = [:], raw: String? = nil
        ) async throws -> Reply {
            var headers: HTTPFields = [:]
            if let token { headers[.authorization] = "Bearer \(token)" }
            for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
            var buffer: ByteBuffer?
            if let raw {
                buffer = ByteBuffer(string: raw)
            } else if let body {
                buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            }
            if buffer != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
            let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: buffer)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(response.body.readableBytesView))
        }

        func create(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
            let reply = try await send(.post, path, body)
            guard reply.status == 201 else { throw TestFailure("POST \(path) answered \(reply.status): \(reply.text)") }
            return reply.object
        }

        /// A product, a policy (preset or custom) and a customer.
        func catalog(preset: String = "professional", policy: [String: Any]? = nil) async throws -> (product: String, policy: String, customer: String) {
            let product = try await create("/v1/products", ["code": "engine-\(UUID().uuidString.prefix(8).lowercased())", "name": "Engine"])["id"] as! String
            let policyId: String
            if var policy {
                policy["productId"] = product
                policyId = try await create("/v1/policies", policy)["id"] as! String
            } else {
                policyId = try await create("/v1/policies/presets/\(preset)", ["productId": product])["id"] as! String
            }
            let customer = try await create("/v1/customers", ["name": "Acme", "email": "ops@acme.test"])["id"] as! String
            return (product, policyId, customer)
        }

        /// A license under a new catalog; returns its id and key.
        func license(preset: String = "professional", policy: [String: Any]? = nil, extra: [String: Any] = [:]) async throws -> (id: String, key: String, product: String, policy: String) {
            let catalog = try await catalog(preset: preset, policy: policy)
            var body: [String: Any] = ["policyId": catalog.policy, "customerId": catalog.customer]
            body.merge(extra) { $1 }
            let license = try await create("/v1/licenses", body)
            return (license["id"] as! String, license["key"] as! String, catalog.product, catalog.policy)
        }

        @discardableResult
        func validate(_ key: String, scope: [String: Any]? = nil, nonce: String? = nil) async throws -> Reply {
            var body: [String: Any] = ["key": key]
            if let scope { body["scope"] = scope }
            if let nonce { body["nonce"] = nonce }
            return try await send(.post, "/v1/licenses/validate", body, token: nil)
        }

        /// Sends with `Authorization: License <key>`.
        @discardableResult
        func send(_ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil, licenseKey: String) async throws -> Reply {
            try await send(method, path, body, token: nil, headers: ["Authorization": "License \(licenseKey)"])
        }

        /// Activates a machine with the license key.
        @discardableResult
        func activate(_ key: String, fingerprint: String, _ extra: [String: Any] = [:]) async throws -> Reply {
            var body: [String: Any] = ["fingerprint": fingerprint]
            body.merge(extra) { $1 }
            return try await send(.post, "/v1/machines", body, licenseKey: key)
        }

        /// The audit actions of the account, oldest first.
        func auditActions() async throws -> [String] {
            var actions: [String] = []
            var cursor: String?
            repeat {
                let path = "/v1/audit-events?limit=100" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await send(.get, path)
                actions += reply.list.compactMap { $0["action"] as? String }
                cursor = reply.object["nextCursor"] as? String
            } while cursor != nil
            return actions.reversed()
        }

        func auditCount(token: String = TestApp.adminToken) async throws -> Int {
            let verification = try await send(.get, "/v1/audit-events/verify", token: token).object
            return verification["checked"] as! Int
        }
    }

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var list: [[String: Any]] { object["data"] as? [[String: Any]] ?? [] }
        var error: [String: Any] { object["error"] as? [String: Any] ?? [:] }
        var errorCode: String? { error["code"] as? String }
        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
