import Foundation
import HTTPTypes
import Testing
import TollgateDomain
@testable import TollgateServer

/// Every authenticated route with a token of every role: the route answers 403
/// `PERMISSION_DENIED` exactly when the role lacks the permission the API document names for it
/// (`x-permission`), and the README's tables say the same.
@Suite struct RoleRouteTests {
    /// The operations an API token may call, with the permission each names.
    static var guarded: [(method: String, path: String, permission: String?)] {
        OpenAPITests.operations.compactMap { method, path, operation in
            guard let security = operation["security"] as? [[String: Any]], security.contains(where: { $0["bearer"] != nil }) else { return nil }
            return (method, path, operation["x-permission"] as? String)
        }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    @Test func everyRouteRefusesExactlyTheRolesWithoutItsPermission() async throws {
        let app = try await TestApp.make()
        let provisioner = AccountProvisioner(store: app.built.services.store, keys: app.built.services.keys, clock: app.clock)
        var secrets: [Role: String] = [:]
        for role in Role.allCases {
            let secret = APIToken.generateSecret(role: role)
            try await provisioner.ensureToken(accountId: app.built.defaultAccount.id, secret: secret, role: role)
            secrets[role] = secret
        }
        #expect(Self.guarded.count > 50)
        try await app.run { [secrets] client in
            for (method, path, name) in Self.guarded {
                let permission = try #require(name.flatMap(Permission.init(rawValue:)), "\(method) \(path) names no known permission")
                // Ids that name nothing: a permitted role gets past the check to a 404 or 422.
                let concrete = path.replacingOccurrences(of: #"\{[A-Za-z]+\}"#, with: "none", options: .regularExpression)
                for role in Role.allCases {
                    let body: Any? = ["GET", "DELETE"].contains(method) ? nil : [String: Any]()
                    let reply = try await client.send(HTTPRequest.Method(method)!, concrete, body, token: secrets[role])
                    let denied = reply.status == 403 && reply.errorCode == "PERMISSION_DENIED"
                    #expect(denied == !role.allows(permission), "\(role.rawValue) \(method) \(path): \(reply.status) \(reply.text)")
                    #expect(reply.status < 500, "\(role.rawValue) \(method) \(path): \(reply.status) \(reply.text)")
                }
            }
        }
    }

    /// The README lists every route with its permission, and every role with its permissions.
    @Test func theReadmeTablesAreTheServersRules() throws {
        let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
        for (method, path, permission) in Self.guarded {
            #expect(readme.contains("| `\(method) \(path)` | `\(permission ?? "")` |"), "README lacks \(method) \(path)")
        }
        for role in Role.allCases {
            let row = Permission.allCases.map { role.allows($0) ? "✓" : " " }.joined(separator: " | ")
            #expect(readme.contains("| `\(role.rawValue)` | \(row) |"), "README's row of \(role.rawValue) is not \(row)")
        }
    }
}
