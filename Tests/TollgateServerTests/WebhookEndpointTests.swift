import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateStore
@testable import TollgateServer

/// `/v1/webhook-endpoints`: the secret shown once and stored sealed, validation, enable and
/// disable, deletion, rotation with the old secret signing for 24 hours, and the logs.
@Suite struct WebhookEndpointTests {
    @Test func anEndpointIsCreatedListedChangedAndDeleted() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let created = try await client.send(
                .post, "/v1/webhook-endpoints", ["url": "https://hooks.example.com/tollgate", "eventTypes": ["license.*", "machine.activated"], "description": "CRM"])
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.object["id"] as? String)
            let secret = try #require(created.object["secret"] as? String)
            #expect(id.hasPrefix("whe_") && WebhookSecret(secret) != nil)
            #expect(created.object["status"] as? String == "enabled" && created.object["eventTypes"] as? [String] == ["license.*", "machine.activated"])

            let all = try await client.send(.post, "/v1/webhook-endpoints", ["url": "http://127.0.0.1:9/hook"])
            #expect(all.status == 201 && all.object["eventTypes"] as? [String] == ["*"] && all.object["description"] as? String == "")

            let listed = try await client.send(.get, "/v1/webhook-endpoints")
            #expect(listed.list.count == 2 && !listed.text.contains(secret) && listed.list.allSatisfy { $0["secret"] == nil })
            let shown = try await client.send(.get, "/v1/webhook-endpoints/\(id)")
            #expect(shown.status == 200 && shown.object["secret"] == nil && shown.object["url"] as? String == "https://hooks.example.com/tollgate")

            // The secret is stored sealed: not in any row as written, and it opens to the one shown.
            let accountId = app.built.defaultAccount.id
            let rows = try await app.built.services.store.read { try await $0.webhookSecrets.inForce(endpointId: id, accountId: accountId, at: app.clock.now()) }
            #expect(rows.count == 1 && !rows[0].sealed.contains(String(secret.dropFirst(6))))
            #expect(try app.built.services.keys.sealer.open(rows[0]).text == secret)

            let disabled = try await client.send(.patch, "/v1/webhook-endpoints/\(id)", ["enabled": false, "eventTypes": ["*"]])
            #expect(disabled.status == 200 && disabled.object["status"] as? String == "disabled" && disabled.object["disabledReason"] as? String != nil)
            #expect(disabled.object["eventTypes"] as? [String] == ["*"])
            let enabled = try await client.send(.patch, "/v1/webhook-endpoints/\(id)", ["enabled": true])
            #expect(enabled.object["status"] as? String == "enabled" && enabled.object["disabledReason"] == nil)
            let same = try await client.send(.patch, "/v1/webhook-endpoints/\(id)", ["enabled": true])
            #expect(same.status == 200 && same.object["updatedAt"] as? String == enabled.object["updatedAt"] as? String, "no change, no write")

            let deleted = try await client.send(.delete, "/v1/webhook-endpoints/\(id)")
            #expect(deleted.status == 200 && deleted.object["id"] as? String == id)
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(id)").status == 404)
            #expect(try await client.send(.delete, "/v1/webhook-endpoints/\(id)").status == 404)
            #expect(try await app.built.services.store.read { try await $0.webhookSecrets.inForce(endpointId: id, accountId: accountId, at: app.clock.now()) }.isEmpty)

            let events = try await client.send(.get, "/v1/events?type=webhook_endpoint.*").list
            #expect(
                events.compactMap { $0["type"] as? String }
                    == ["webhook_endpoint.created", "webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.updated", "webhook_endpoint.deleted"])
            #expect(!events.description.contains(String(secret.dropFirst(6))))
        }
    }

    @Test func badEndpointsAreRefusedNamingTheField() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let bad: [([String: Any], String)] = [
                (["url": "ftp://example.com/x"], "url"), (["url": "example.com/hook"], "url"), (["url": "https://user:pw@example.com/"], "url"),
                (["url": "https://example.com/#x"], "url"), (["url": "https://example.com/" + String(repeating: "a", count: 2_048)], "url"),
                (["url": "https://example.com/", "eventTypes": [String]()], "eventTypes"),
                (["url": "https://example.com/", "eventTypes": ["License.Created"]], "eventTypes"),
                (["url": "https://example.com/", "description": String(repeating: "d", count: 501)], "description"),
                (["url": "https://example.com/", "secret": "whsec_x"], "secret"),
                ([:], "url"),
            ]
            for (body, field) in bad {
                let reply = try await client.send(.post, "/v1/webhook-endpoints", body)
                #expect(reply.status == 422 && reply.error["field"] as? String == field, "\(body): \(reply.text)")
            }
            #expect(try await client.send(.get, "/v1/webhook-endpoints").list.isEmpty, "nothing half-written")
            let id = try #require(try await client.send(.post, "/v1/webhook-endpoints", ["url": "https://example.com/"]).object["id"] as? String)
            let patch = try await client.send(.patch, "/v1/webhook-endpoints/\(id)", ["url": "mailto:ops@example.com"])
            #expect(patch.status == 422 && patch.error["field"] as? String == "url")
            #expect(try await client.send(.patch, "/v1/webhook-endpoints/whe_none", ["enabled": false]).status == 404)
        }
    }

    @Test func aRotatedSecretKeepsSigningForADay() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let created = try await client.send(.post, "/v1/webhook-endpoints", ["url": "https://example.com/"])
            let id = try #require(created.object["id"] as? String)
            let first = try #require(created.object["secret"] as? String)
            let accountId = app.built.defaultAccount.id
            let sealer = app.built.services.keys.sealer
            func inForce() async throws -> [String] {
                try await app.built.services.store.read { try await $0.webhookSecrets.inForce(endpointId: id, accountId: accountId, at: app.clock.now()) }
                    .map { try sealer.open($0).text }
            }

            let rotated = try await client.send(.post, "/v1/webhook-endpoints/\(id)/actions/rotate-secret")
            #expect(rotated.status == 200, "\(rotated.text)")
            let second = try #require(rotated.object["secret"] as? String)
            #expect(second != first && WebhookSecret(second) != nil)
            #expect(try await inForce() == [second, first], "both sign, the new one first")

            app.clock.advance(by: 3_600)
            let third = try #require(try await client.send(.post, "/v1/webhook-endpoints/\(id)/actions/rotate-secret").object["secret"] as? String)
            #expect(try await inForce() == [third, second], "a second rotation ends the first secret at once")
            app.clock.advance(by: 24 * 3_600 + 1)
            #expect(try await inForce() == [third], "after a day only the new one")
            #expect(try await client.send(.post, "/v1/webhook-endpoints/whe_none/actions/rotate-secret").status == 404)
            let types = try await client.send(.get, "/v1/events?type=webhook_endpoint.*").list.compactMap { $0["type"] as? String }
            #expect(types == ["webhook_endpoint.created", "webhook_endpoint.secret_rotated", "webhook_endpoint.secret_rotated"])
        }
    }
}
