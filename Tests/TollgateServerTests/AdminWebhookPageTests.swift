import Foundation
import HTTPTypes
import Testing
@testable import TollgateServer

/// The admin portal's webhook pages: the list and its form (the secret shown once), the
/// endpoint's page with its delivery log, a delivery's attempts, and the confirmed actions.
@Suite(.serialized) struct AdminWebhookPageTests {
    @Test func anEndpointIsMadePingedAndItsDeliveryLogRead() async throws {
        let receiver = try Receiver(status: 200)
        defer { receiver.close() }
        let app = try await TestApp.make(environment: ["TOLLGATE_WEBHOOK_ALLOW": "loopback", "TOLLGATE_WEBHOOK_POLL_MS": "20"])
        try await app.run { client in
            let browser = Browser(client)
            try await PortalTests.join(browser, app.built.ownerInvitation!, email: "owner@example.com")
            let list = try await browser.get("/admin/webhooks")
            #expect(list.status == 200 && list.html.contains("New webhook endpoint") && list.html.contains(#"href="/admin/webhooks""#))
            let bad = try await browser.post("/admin/webhooks", ["url": "ftp://example.com/", "eventTypes": "*"], csrfFrom: list)
            #expect(bad.status == 422 && bad.html.contains("field-url-error"), "the API's refusal next to its field")
            let made = try await browser.post(
                "/admin/webhooks", ["url": receiver.url, "eventTypes": "customer.*, license.created", "description": "CRM"], csrfFrom: list)
            let location = try #require(made.location)
            #expect(made.status == 303 && location.hasPrefix("/admin/webhooks/whe_") && location.contains("whsec_"), "\(location)")
            let page = String(location.prefix { $0 != "?" })
            let id = String(page.dropFirst("/admin/webhooks/".count))
            let endpoint = try await client.send(.get, "/v1/webhook-endpoints/\(id)").object
            #expect(endpoint["eventTypes"] as? [String] == ["customer.*", "license.created"] && endpoint["description"] as? String == "CRM")

            let confirm = try await browser.get("\(page)/ping")
            #expect(confirm.status == 200 && confirm.html.contains("Send a ping"))
            #expect(try await browser.post("\(page)/ping", [:], csrfFrom: confirm).location == "\(page)?done=Ping%20sent.")
            try await receiver.waitFor(1)
            var shown = try await browser.get(page)
            for _ in 0..<100 where !shown.html.contains("badge-succeeded") {
                try await Task.sleep(for: .milliseconds(25))
                shown = try await browser.get(page)
            }
            #expect(shown.html.contains("webhook_endpoint.pinged") && shown.html.contains("badge-succeeded") && shown.html.contains("CRM"))
            let deliveryId = try #require(try await client.send(.get, "/v1/webhook-endpoints/\(id)/deliveries").list.first?["id"] as? String)
            #expect(shown.html.contains("\(page)/deliveries/\(deliveryId)"))
            #expect(try await browser.get("\(page)?state=failed").html.contains("Nothing here yet."))
            let delivery = try await browser.get("\(page)/deliveries/\(deliveryId)")
            #expect(delivery.status == 200 && delivery.html.contains("<caption>Attempts</caption>") && delivery.html.contains("<td>200</td>"))
            let retry = try await browser.get("\(page)/deliveries/\(deliveryId)/retry")
            #expect(try await browser.post("\(page)/deliveries/\(deliveryId)/retry", [:], csrfFrom: retry).status == 303)
            try await receiver.waitFor(2)

            let rotate = try await browser.get("\(page)/rotate-secret")
            let rotated = try await browser.post("\(page)/rotate-secret", [:], csrfFrom: rotate)
            #expect(rotated.location?.contains("whsec_") == true, "the new secret, once")
            let disable = try await browser.get("\(page)/disable")
            _ = try await browser.post("\(page)/disable", [:], csrfFrom: disable)
            #expect(try await browser.get(page).html.contains(#"href="\#(page)/enable""#))
            let delete = try await browser.get("\(page)/delete")
            #expect(try await browser.post("\(page)/delete", [:], csrfFrom: delete).location == "/admin/webhooks?done=Endpoint%20deleted.")
            #expect(try await browser.get(page).status == 404)
        }
    }
}
