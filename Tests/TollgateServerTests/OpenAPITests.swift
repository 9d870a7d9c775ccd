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
        let router = buildRouter(app.built.services)
        let registered = Set(router.routes.map { route -> String in
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
}
