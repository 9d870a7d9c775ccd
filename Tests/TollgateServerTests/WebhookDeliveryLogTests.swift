import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateStore
@testable import TollgateServer

/// The delivery log (`GET …/deliveries`), ping, retry by hand and the clean-up of deliveries that
/// ended, against a socket ``Receiver`` on loopback.
@Suite(.serialized) struct WebhookDeliveryLogTests {
    static let environment = ["TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "20"]

    @Test func aPingGoesToItsEndpointAloneAndTheLogShowsItsAttempts() async throws {
        let (pinged, other) = (try Receiver(status: 200), try Receiver(status: 200))
        defer { pinged.close(); other.close() }
        let app = try await TestApp.make(environment: Self.environment)
        try await app.run { client in
            let id = try #require(
                try await client.send(.post, "/v1/webhook-endpoints", ["url": pinged.url, "eventTypes": ["license.created"]]).object["id"] as? String)
            let otherId = try #require(try await client.send(.post, "/v1/webhook-endpoints", ["url": other.url]).object["id"] as? String)
            try await other.waitFor(1)  // its own webhook_endpoint.created
            let ping = try await client.send(.post, "/v1/webhook-endpoints/\(id)/actions/ping")
            #expect(ping.status == 202 && ping.object["eventType"] as? String == "webhook_endpoint.pinged", "\(ping.text)")
            try await pinged.waitFor(1)
            let log = try await Self.waitForState("succeeded", endpoint: id, client: client)
            let delivery = try #require(log.first)
            #expect(log.count == 1 && delivery["eventType"] as? String == "webhook_endpoint.pinged" && delivery["attemptCount"] as? Int == 1)
            let attempts = try #require(delivery["attempts"] as? [[String: Any]])
            #expect(attempts.count == 1 && attempts[0]["number"] as? Int == 1 && attempts[0]["status"] as? Int == 200 && attempts[0]["response"] as? String == "ok")
            #expect(attempts[0]["durationMs"] is Int && attempts[0]["error"] == nil)
            let shown = try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries/\(try #require(delivery["id"] as? String))")
            #expect(shown.status == 200 && shown.object["eventId"] as? String == delivery["eventId"] as? String)
            // The endpoint that wants everything does not get another's ping.
            try await Task.sleep(for: .milliseconds(200))
            let others = try await client.send(.get, "/v1/webhook-endpoints/\(otherId)/deliveries").list
            #expect(other.count == 1 && others.map { $0["eventType"] as? String } == ["webhook_endpoint.created"])
            // Refusals.
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries?state=lost").errorCode == "INVALID_PARAMETER")
            #expect(try await client.send(.get, "/v1/webhook-endpoints/whe_none/deliveries").status == 404)
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(otherId)/deliveries/\(try #require(delivery["id"] as? String))").status == 404)
            #expect(try await client.send(.post, "/v1/webhook-endpoints/\(id)/deliveries/whd_none/actions/retry").status == 404)
            #expect(try await client.send(.patch, "/v1/webhook-endpoints/\(id)", ["enabled": false]).status == 200)
            #expect(try await client.send(.post, "/v1/webhook-endpoints/\(id)/actions/ping").errorCode == "ENDPOINT_DISABLED")
            let refused = try await client.send(.post, "/v1/webhook-endpoints/\(id)/deliveries/\(try #require(delivery["id"] as? String))/actions/retry")
            #expect(refused.status == 409 && refused.errorCode == "ENDPOINT_DISABLED")
        }
    }

    @Test func aRetryTriesAPendingDeliveryNowAndSendsAnEndedOneOnceMore() async throws {
        let receiver = try Receiver(status: 500)
        defer { receiver.close() }
        let app = try await TestApp.make(environment: Self.environment)
        try await app.run { client in
            let id = try #require(
                try await client.send(.post, "/v1/webhook-endpoints", ["url": receiver.url, "eventTypes": ["customer.created"]]).object["id"] as? String)
            #expect(try await client.send(.post, "/v1/customers", ["name": "Acme"]).status == 201)
            try await WebhookRetryTests.waitForAttempts(1, app: app)
            let pending = try #require(try await Self.waitForState("pending", endpoint: id, client: client).first)
            let deliveryId = try #require(pending["id"] as? String)
            #expect(pending["nextAttemptAt"] as? String != nil && pending["lastStatus"] as? Int == 500)
            // On its schedule: tried now, without moving the clock, and then due again on the schedule.
            let retried = try await client.send(.post, "/v1/webhook-endpoints/\(id)/deliveries/\(deliveryId)/actions/retry")
            #expect(retried.status == 202 && retried.object["state"] as? String == "pending" && retried.object["manual"] as? Bool == false, "\(retried.text)")
            try await receiver.waitFor(2)
            try await WebhookRetryTests.waitForAttempts(2, app: app)
            var shown = try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries/\(deliveryId)").object
            #expect(shown["state"] as? String == "pending" && shown["attemptCount"] as? Int == 2 && (shown["attempts"] as? [Any])?.count == 2)
            // Ended: a 200, then sent once more by hand to a receiver answering 500 — it ends
            // again, failed, with no retry and the endpoint still enabled.
            receiver.status = 200
            app.clock.advance(by: 300)
            try await receiver.waitFor(3)
            _ = try await Self.waitForState("succeeded", endpoint: id, client: client)
            receiver.status = 500
            let again = try await client.send(.post, "/v1/webhook-endpoints/\(id)/deliveries/\(deliveryId)/actions/retry")
            #expect(again.status == 202 && again.object["manual"] as? Bool == true)
            try await receiver.waitFor(4)
            shown = try #require(try await Self.waitForState("failed", endpoint: id, client: client).first)
            #expect(shown["attemptCount"] as? Int == 4 && shown["lastStatus"] as? Int == 500)
            app.clock.advance(by: 7 * 86_400)
            try await Task.sleep(for: .milliseconds(200))
            #expect(receiver.count == 4)
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(id)").object["status"] as? String == "enabled")
            #expect(try await client.send(.get, "/v1/events?type=webhook_endpoint.disabled").list.isEmpty)
        }
    }

    @Test func deliveriesThatEndedAreForgottenAfterThirtyDaysAndTheLogPages() async throws {
        let receiver = try Receiver(status: 200)
        defer { receiver.close() }
        let app = try await TestApp.make(environment: Self.environment)
        try await app.run { client in
            let id = try #require(
                try await client.send(.post, "/v1/webhook-endpoints", ["url": receiver.url, "eventTypes": ["customer.created"]]).object["id"] as? String)
            for name in ["A", "B", "C"] { _ = try await client.send(.post, "/v1/customers", ["name": name]) }
            try await receiver.waitFor(3)
            _ = try await Self.waitForState("succeeded", endpoint: id, client: client, count: 3)
            let first = try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries?limit=2")
            let cursor = try #require(first.object["nextCursor"] as? String)
            let second = try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries?limit=2&cursor=\(cursor)")
            let sequences = (first.list + second.list).compactMap { $0["eventSequence"] as? Int }
            #expect(sequences.count == 3 && sequences == sequences.sorted(by: >), "newest first: \(sequences)")
            app.clock.advance(by: CleanupJob.webhookRetention - 60)
            _ = try await app.built.runDueJobs()
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries").list.count == 3)
            app.clock.advance(by: CleanupJob.interval)
            _ = try await app.built.runDueJobs()
            #expect(try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries").list.isEmpty)
            let ids = (first.list + second.list).compactMap { $0["id"] as? String }
            let attempts = try await app.built.services.store.read { try await $0.webhookDeliveries.attempts(of: ids, accountId: app.built.defaultAccount.id) }
            #expect(ids.count == 3 && attempts.isEmpty, "their attempts go with them")
        }
    }

    /// The endpoint's log once `count` of its deliveries are in `state`.
    static func waitForState(_ state: String, endpoint: String, client: TestApp.Client, count: Int = 1) async throws -> [[String: Any]] {
        for _ in 0..<200 {
            let log = try await client.send(.get, "/v1/webhook-endpoints/\(endpoint)/deliveries").list
            if log.filter({ $0["state"] as? String == state }).count >= count { return log }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("no \(count) deliveries \(state)")
        return []
    }
}
