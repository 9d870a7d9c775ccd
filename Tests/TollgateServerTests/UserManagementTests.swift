import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TollgateDomain
@testable import TollgateServer

/// `/v1/users` and `/v1/customers/{id}/users`: invitations, roles, the last owner, audit.
@Suite struct UserManagementTests {
    @Test func anInvitationMakesAnInvitedUserAndAOneTimeLink() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let reply = try await client.send(.post, "/v1/users", ["email": " Sam@Example.com", "name": "Sam", "role": "support"])
            #expect(reply.status == 201)
            let user = reply.object
            #expect(user["email"] as? String == "sam@example.com" && user["status"] as? String == "invited" && user["role"] as? String == "support")
            let url = try #require((user["invitation"] as? [String: Any])?["url"] as? String)
            #expect(url.contains("/admin/join/tgi_"))
            #expect(try await client.send(.get, "/v1/users/\(user["id"] as! String)").object["invitation"] == nil, "the link is shown once")

            let again = try await client.send(.post, "/v1/users", ["email": "sam@example.com", "name": "Sam", "role": "support"])
            #expect(again.status == 409 && again.errorCode == "EMAIL_TAKEN" && again.error["field"] as? String == "email")
            let bad = try await client.send(.post, "/v1/users", ["email": "not-an-address", "name": "X", "role": "support"])
            #expect(bad.status == 422 && bad.error["field"] as? String == "email")
            let noRole = try await client.send(.post, "/v1/users", ["email": "x@example.com", "name": "X"])
            #expect(noRole.status == 422 && noRole.error["field"] as? String == "role")

            // A new link ends the old one.
            let renewed = try await client.send(.post, "/v1/users/\(user["id"] as! String)/invitation")
            #expect(renewed.status == 201)
            let old = try await client.client.executeRequest(uri: String(url[url.range(of: "/admin/join/")!.lowerBound...]), method: .get, headers: [:], body: nil)
            #expect(old.status == .conflict, "the first link no longer works")
            let list = try await client.send(.get, "/v1/users")
            #expect(list.list.contains { $0["email"] as? String == "sam@example.com" } && list.list.allSatisfy { $0["invitation"] == nil })
        }
    }

    @Test func rolesBoundWhoMayInviteAndChangeWhom() async throws {
        let app = try await TestApp.make()
        let provisioner = AccountProvisioner(store: app.built.services.store, keys: app.built.services.keys, clock: app.clock)
        let admin = APIToken.generateSecret(role: .admin)
        let developer = APIToken.generateSecret(role: .developer)
        try await provisioner.ensureToken(accountId: app.built.defaultAccount.id, secret: admin, role: .admin)
        try await provisioner.ensureToken(accountId: app.built.defaultAccount.id, secret: developer, role: .developer)
        try await app.run { client in
            let denied = try await client.send(.post, "/v1/users", ["email": "a@example.com", "name": "A", "role": "support"], token: developer)
            #expect(denied.status == 403 && denied.errorCode == "PERMISSION_DENIED")
            let owner = try await client.send(.post, "/v1/users", ["email": "o@example.com", "name": "O", "role": "owner"], token: admin)
            #expect(owner.status == 403, "an admin cannot make owners")
            let sales = try await client.send(.post, "/v1/users", ["email": "s@example.com", "name": "S", "role": "sales"], token: admin).object
            let id = sales["id"] as! String
            let promoted = try await client.send(.patch, "/v1/users/\(id)", ["role": "admin"], token: admin)
            #expect(promoted.status == 200 && promoted.object["role"] as? String == "admin")
            #expect(try await client.send(.patch, "/v1/users/\(id)", ["role": "owner"], token: admin).status == 403)
            #expect(try await client.send(.patch, "/v1/users/\(id)", ["status": "invited"]).status == 422)
            #expect(try await client.send(.patch, "/v1/users/\(id)", ["status": "active"]).status == 422, "only the invitation makes an invited user active")
            let disabled = try await client.send(.patch, "/v1/users/\(id)", ["status": "disabled"])
            #expect(disabled.object["status"] as? String == "disabled")
            let actions = try await client.auditActions()
            #expect(actions.contains("user.invited") && actions.contains("user.role_changed") && actions.contains("user.disabled"))
            let events = try await client.send(.get, "/v1/events?type=user.role_changed").list
            #expect(events.count == 1 && (events[0]["data"] as? [String: Any])?["role"] as? String == "admin")
        }
    }

    @Test func customersHaveTheirOwnPortalUsers() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let catalog = try await client.catalog()
            let invited = try await client.send(.post, "/v1/customers/\(catalog.customer)/users", ["email": "it@acme.test", "name": "IT"])
            #expect(invited.status == 201 && invited.object["kind"] as? String == "customer" && invited.object["customerId"] as? String == catalog.customer)
            #expect(((invited.object["invitation"] as? [String: Any])?["url"] as? String)?.contains("/portal/join/tgi_") == true)
            #expect(try await client.send(.post, "/v1/customers/\(catalog.customer)/users", ["email": "x@acme.test", "name": "X", "role": "owner"]).status == 422)
            #expect(try await client.send(.post, "/v1/customers/cus_none/users", ["email": "x@acme.test", "name": "X"]).status == 404)
            #expect(try await client.send(.get, "/v1/customers/\(catalog.customer)/users").list.count == 1)
            #expect(try await client.send(.get, "/v1/users").list.allSatisfy { $0["kind"] as? String == "staff" })
        }
    }

    @Test func onlyOwnersChangeTheAccountsSettings() async throws {
        let app = try await TestApp.make()
        let provisioner = AccountProvisioner(store: app.built.services.store, keys: app.built.services.keys, clock: app.clock)
        let admin = APIToken.generateSecret(role: .admin)
        try await provisioner.ensureToken(accountId: app.built.defaultAccount.id, secret: admin, role: .admin)
        try await app.run { client in
            #expect(try await client.send(.patch, "/v1/account", ["requireTwoFactor": true], token: admin).status == 403)
            let changed = try await client.send(.patch, "/v1/account", ["requireTwoFactor": true])
            #expect(changed.status == 200 && changed.object["requireTwoFactor"] as? Bool == true)
            #expect(try await client.send(.get, "/v1/account").object["requireTwoFactor"] as? Bool == true)
            #expect(try await client.send(.patch, "/v1/account", ["requireTwoFactor": "yes"]).status == 422)
        }
    }
}
