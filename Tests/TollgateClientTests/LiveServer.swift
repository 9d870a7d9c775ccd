import Foundation
import Hummingbird
import Logging
import TollgateClient
import TollgateDomain
import TollgateFormats
@testable import TollgateServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `tollgate serve` in this process on a loopback port, with a manual clock the client
/// shares, for the SDK's tests over real HTTP.
final class LiveServer: Sendable {
    static let adminToken = "tga_sdk-admin-token-0123456789"
    let built: BuiltApplication
    let clock: ManualClock
    let port: Int
    let directory: String
    let task: Task<Void, any Error>

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts a server on `port` (a free one by default) over `directory` (a new one by default).
    init(port: Int? = nil, directory: String? = nil, clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))) async throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-sdk-\(UUID().uuidString)").path
        self.port = port ?? Self.freePort()
        self.clock = clock
        var configuration = ServerConfiguration()
        configuration.dataDirectory = self.directory
        configuration.adminToken = Self.adminToken
        configuration.port = self.port
        configuration.logLevel = .error
        built = try await buildApplication(configuration, clock: clock, startNow: true)
        let application = built.application
        task = Task { try await application.runService() }
        for _ in 0..<100 {
            if (try? await Self.request(url, "GET", "/healthz"))?.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TollgateClientError.unreachable("the test server did not start")
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// A free loopback port (bound and released).
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func request(_ base: URL, _ method: String, _ path: String, _ body: [String: Any]? = nil, authorization: String? = nil) async throws
        -> (status: Int, object: [String: Any], data: Data, signature: String?)
    {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (
            http.statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:], data,
            http.value(forHTTPHeaderField: ResponseSignature.headerName)
        )
    }

    /// A call with `authorization`; a status of 300 or more throws.
    @discardableResult
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil, authorization: String?) async throws
        -> (object: [String: Any], data: Data, signature: String?)
    {
        let answer = try await Self.request(url, method, path, body, authorization: authorization)
        guard answer.status < 300 else { throw TollgateClientError.refused(status: answer.status, code: "", message: String(decoding: answer.data, as: UTF8.self)) }
        return (answer.object, answer.data, answer.signature)
    }

    /// An admin call; fails the test's expectations through its status.
    @discardableResult
    func admin(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        try await call(method, path, body, authorization: "Bearer \(Self.adminToken)").object
    }

    /// A product with the three preset tiers (cheapest first, as the server lists them to
    /// clients), a customer and a license under `preset`: (product id, license id, key).
    func license(preset: String = "professional") async throws -> (product: String, id: String, key: String) {
        let product = try await admin("POST", "/v1/products", ["code": "app-\(UUID().uuidString.prefix(8).lowercased())", "name": "App"])["id"] as! String
        var policies: [String: String] = [:]
        for tier in ["community", "professional", "enterprise"] {
            policies[tier] = try await admin("POST", "/v1/policies/presets/\(tier)", ["productId": product])["id"] as? String
        }
        guard let policy = policies[preset] else { throw TollgateClientError.unreachable("no preset \(preset)") }
        let customer = try await admin("POST", "/v1/customers", ["name": "Acme"])["id"] as! String
        let license = try await admin("POST", "/v1/licenses", ["policyId": policy, "customerId": customer])
        return (product, license["id"] as! String, license["key"] as! String)
    }

    /// The server's JWKS, as an app would embed it.
    func jwks() async throws -> JWKS {
        try JSONDecoder().decode(JWKS.self, from: try await Self.request(url, "GET", "/.well-known/jwks.json").data)
    }

    /// A client configuration for `product` on this server (or `serverURL`), storing in `storage`.
    func configuration(product: String, storage: URL, serverURL: URL? = nil, fingerprint: String = "fp-\(UUID().uuidString)") async throws
        -> TollgateClientConfiguration
    {
        var configuration = TollgateClientConfiguration(serverURL: serverURL ?? url, productId: product, keys: try await jwks(), storageDirectory: storage)
        configuration.fingerprint = fingerprint
        let clock = self.clock
        configuration.now = { clock.now() }
        configuration.requestTimeout = 2
        return configuration
    }
}

func temporaryStorage() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-client-\(UUID().uuidString)")
}

/// Runs `body` with a live server, and stops the server afterwards whether or not `body` threw.
func withLiveServer(_ body: (LiveServer) async throws -> Void) async throws {
    let server = try await LiveServer()
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
