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

@Suite struct AccessTests {
    @Test func routesWithoutATokenAnswer401() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            for path in ["/v1/products", "/v1/licenses", "/v1/audit-events", "/v1/keys"] {
                let anonymous = try await client.send(.get, path, token: nil)
                #expect(anonymous.status == 401 && anonymous.errorCode == "UNAUTHORIZED" && anonymous.header("WWW-Authenticate") == "Bearer")
                #expect(try await client.send(.get, path, token: "tga_wrong").status == 401)
            }
            #expect(try await client.send(.get, "/v1/products", token: nil, headers: ["Authorization": "Basic abc"]).status == 401)
        }
    }

    /// Spaces and tabs around the credential are not part of it; a header with nothing after the
    /// scheme is refused.
    @Test func spacesAroundTheCredentialAreDropped() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let padded = try await client.send(.get, "/v1/products", token: nil, headers: ["Authorization": "Bearer  \t\(TestApp.adminToken) \t"])
            #expect(padded.status == 200)
            let empty = try await client.send(.get, "/v1/products", token: nil, headers: ["Authorization": "Bearer  \t "])
            #expect(empty.status == 401)
        }
    }

    /// API tokens are remembered between requests, and a token revoked by a write of its account
    /// is refused at the next request.
    @Test func aRememberedAPITokenIsRefusedOnceRevoked() async throws {
        let app = try await TestApp.make()
        let secret = APIToken.generateSecret(role: .admin)
        let accountId = app.built.defaultAccount.id
        try await AccountProvisioner(store: app.built.services.store, keys: app.built.services.keys, clock: app.clock)
            .ensureToken(accountId: accountId, secret: secret, role: .admin)
        try await app.run { client in
            for _ in 0..<3 { #expect(try await client.send(.get, "/v1/products", token: secret).status == 200) }
            try await app.built.services.store.write(lock: .account(accountId)) { session in
                try await session.sql.execute(
                    "UPDATE api_tokens SET revoked_at = 1 WHERE token_hash = ?", [.text(APIToken.hash(secret: secret))])
            }
            let refused = try await client.send(.get, "/v1/products", token: secret)
            #expect(refused.status == 401, "\(refused.text)")
            #expect(try await client.send(.get, "/v1/products").status == 200)
        }
    }

    @Test func readOnlyTokensReadButCannotWrite() async throws {
        let app = try await TestApp.make()
        let reader = APIToken.generateSecret(role: .readOnly)
        try await AccountProvisioner(store: app.built.services.store, keys: app.built.services.keys, clock: app.clock)
            .ensureToken(accountId: app.built.defaultAccount.id, secret: reader, role: .readOnly)
        try await app.run { client in
            let license = try await client.license()
            #expect(try await client.send(.get, "/v1/licenses/\(license.id)", token: reader).status == 200)
            let write = try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend", token: reader)
            #expect(write.status == 403 && write.errorCode == "PERMISSION_DENIED")
            #expect(try await client.send(.post, "/v1/products", ["code": "x", "name": "x"], token: reader).status == 403)
            #expect(try await client.send(.post, "/v1/usage/events", ["id": "x", "meter": "x", "licenseId": license.id], token: reader).status == 403)
        }
    }

    @Test func theAccountRouteShowsTheCallersAccountKeyAndToken() async throws {
        let app = try await TestApp.make()
        let other = try await app.built.createAccount(name: "Other vendor")
        let reader = APIToken.generateSecret(role: .readOnly)
        try await AccountProvisioner(store: app.built.services.store, keys: app.built.services.keys, clock: app.clock)
            .ensureToken(accountId: other.account.id, secret: reader, role: .readOnly)
        try await app.run { client in
            let mine = try await client.send(.get, "/v1/account").object
            #expect(mine["id"] as? String == app.built.defaultAccount.id && mine["name"] as? String == "Default")
            let kid = try await client.send(.get, "/v1/keys").list.first { $0["current"] as? Bool == true }?["kid"] as? String
            #expect(mine["signingKeyId"] as? String == kid)
            #expect((mine["caller"] as? [String: Any])?["role"] as? String == "owner")
            let theirs = try await client.send(.get, "/v1/account", token: reader).object
            #expect(theirs["id"] as? String == other.account.id && theirs["name"] as? String == "Other vendor")
            #expect((theirs["caller"] as? [String: Any])?["role"] as? String == "read-only")
            let license = try await client.license()
            let refused = try await client.send(.get, "/v1/account", token: nil, headers: ["Authorization": "License \(license.key)"])
            #expect(refused.status == 403)
            #expect(try await client.send(.get, "/v1/account", token: nil).status == 401)
        }
    }

    @Test func anotherAccountsObjectsAnswer404() async throws {
        let app = try await TestApp.make()
        let other = try await app.built.createAccount(name: "Other vendor")
        try await app.run { client in
            let license = try await client.license()
            let customer = try await client.send(.get, "/v1/customers").list[0]["id"] as! String
            let theirs = other.adminToken
            for path in [
                "/v1/licenses/\(license.id)", "/v1/products/\(license.product)", "/v1/policies/\(license.policy)", "/v1/customers/\(customer)",
                "/v1/licenses/\(license.id)/validations",
            ] {
                let reply = try await client.send(.get, path, token: theirs)
                #expect(reply.status == 404 && reply.errorCode == "NOT_FOUND", "\(path)")
            }
            #expect(try await client.send(.patch, "/v1/products/\(license.product)", ["name": "Mine"], token: theirs).status == 404)
            #expect(try await client.send(.post, "/v1/licenses/\(license.id)/actions/revoke", token: theirs).status == 404)
            let borrowed = try await client.send(.post, "/v1/licenses", ["policyId": license.policy, "customerId": customer], token: theirs)
            #expect(borrowed.status == 422 && borrowed.errorCode == "REFERENCE_NOT_FOUND")
            #expect(try await client.send(.get, "/v1/licenses", token: theirs).list.isEmpty)
            #expect(try await client.send(.get, "/v1/audit-events", token: theirs).list.allSatisfy { $0["accountId"] as? String == other.account.id })
            // The other account's keys sign its own licenses; validation still works for both.
            #expect(try await client.validate(license.key).object["code"] as? String == "VALID")
            #expect(try await client.send(.get, "/v1/keys", token: theirs).list.count == 1)
        }
    }
}
