import Foundation
import HTTPTypes
import Testing
import TollgateDomain
@testable import TollgateServer

/// `POST/GET/DELETE /v1/tokens`: roles a caller may hand out, secrets shown once, expiry, the
/// last owner kept, revocation refused at the next request, and the logs.
@Suite struct APITokenManagementTests {
    @Test func anOwnerCreatesListsAndRevokesTokensOfOtherRoles() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let created = try await client.send(.post, "/v1/tokens", ["name": "Helpdesk", "role": "support"])
            #expect(created.status == 201, "\(created.text)")
            let secret = try #require(created.object["secret"] as? String)
            let id = try #require(created.object["id"] as? String)
            #expect(secret.hasPrefix("tga_") && created.object["prefix"] as? String == String(secret.prefix(8)))
            #expect(created.object["role"] as? String == "support")

            #expect(try await client.send(.get, "/v1/licenses", token: secret).status == 200)
            let denied = try await client.send(.get, "/v1/tokens", token: secret)
            #expect(denied.status == 403 && denied.errorCode == "PERMISSION_DENIED")

            // The use is written off the request: wait for it (at most 2 s).
            var listed: [[String: Any]] = []
            for _ in 0..<40 {
                listed = try await client.send(.get, "/v1/tokens").list
                if listed.first(where: { $0["id"] as? String == id })?["lastUsedAt"] != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let entry = try #require(listed.first { $0["id"] as? String == id })
            #expect(entry["secret"] == nil && entry["name"] as? String == "Helpdesk")
            #expect(entry["lastUsedAt"] as? String == JSONWriter.iso8601(app.clock.now()), "the support token's use is recorded")
            #expect(!listed.contains { $0.description.contains(secret) })

            let revoked = try await client.send(.delete, "/v1/tokens/\(id)")
            #expect(revoked.status == 200 && revoked.object["id"] as? String == id)
            #expect(try await client.send(.get, "/v1/licenses", token: secret).status == 401)
            #expect(try await client.send(.delete, "/v1/tokens/\(id)").status == 404)
            #expect(try await client.send(.get, "/v1/tokens").list.allSatisfy { $0["id"] as? String != id })

            let events = try await client.send(.get, "/v1/events?type=token.*").list
            #expect(events.compactMap { $0["type"] as? String }.suffix(2) == ["token.created", "token.revoked"])
            #expect(!events.contains { $0.description.contains(secret) })
        }
    }

    @Test func aTokenHandsOutAndRevokesOnlyRolesThatCanDoNoMore() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let developer = try #require(try await client.send(.post, "/v1/tokens", ["name": "CI", "role": "developer"]).object["secret"] as? String)
            let reader = try await client.send(.post, "/v1/tokens", ["name": "Dashboards", "role": "read-only"], token: developer)
            #expect(reader.status == 201 && (reader.object["secret"] as? String)?.hasPrefix("tgr_") == true)
            let admin = try await client.send(.post, "/v1/tokens", ["name": "Escalate", "role": "admin"], token: developer)
            #expect(admin.status == 403 && admin.errorCode == "PERMISSION_DENIED")
            let owner = try #require(try await client.send(.get, "/v1/account").object["caller"] as? [String: Any])["tokenId"] as! String
            let revoke = try await client.send(.delete, "/v1/tokens/\(owner)", token: developer)
            #expect(revoke.status == 403 && revoke.errorCode == "PERMISSION_DENIED")
        }
    }

    @Test func theLastOwnerTokenStaysUntilAnotherExists() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try #require(try await client.send(.get, "/v1/account").object["caller"] as? [String: Any])["tokenId"] as! String
            let refused = try await client.send(.delete, "/v1/tokens/\(first)")
            #expect(refused.status == 409 && refused.errorCode == "LAST_OWNER", "\(refused.text)")
            let second = try #require(try await client.send(.post, "/v1/tokens", ["name": "Second owner", "role": "owner"]).object["secret"] as? String)
            #expect(try await client.send(.delete, "/v1/tokens/\(first)", token: second).status == 200)
            #expect(try await client.send(.get, "/v1/products").status == 401)
            #expect(try await client.send(.get, "/v1/products", token: second).status == 200)
        }
    }

    @Test func aTokenPastItsExpiryIsRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let expiresAt = JSONWriter.iso8601(app.clock.now().addingTimeInterval(3_600))
            let created = try await client.send(.post, "/v1/tokens", ["name": "Contractor", "role": "read-only", "expiresAt": expiresAt])
            let secret = try #require(created.object["secret"] as? String, "\(created.text)")
            #expect(try await client.send(.get, "/v1/products", token: secret).status == 200)
            app.clock.advance(by: 3_601)
            let refused = try await client.send(.get, "/v1/products", token: secret)
            #expect(refused.status == 401 && refused.text.contains("expired"))
        }
    }

    @Test func badTokenRequestsAreRefusedAndCreateNothing() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let past = JSONWriter.iso8601(app.clock.now().addingTimeInterval(-1))
            for body: [String: Any] in [
                ["name": "x", "role": "superuser"], ["name": " ", "role": "admin"], ["role": "admin"], ["name": "x"],
                ["name": "x", "role": "admin", "expiresAt": past], ["name": "x", "role": "admin", "scope": "all"],
                ["name": String(repeating: "n", count: 101), "role": "admin"],
            ] {
                let reply = try await client.send(.post, "/v1/tokens", body)
                #expect(reply.status == 400 || reply.status == 422, "\(body): \(reply.status) \(reply.text)")
            }
            #expect(try await client.send(.get, "/v1/tokens").list.count == 1)
            #expect(try await client.send(.delete, "/v1/tokens/tok_none").status == 404)
        }
    }
}
