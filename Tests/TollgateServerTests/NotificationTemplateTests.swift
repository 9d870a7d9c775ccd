import Foundation
import HTTPTypes
import Testing
import TollgateDomain
@testable import TollgateServer

/// A vendor's own email templates: used for the emails made after they are set, checked when
/// stored, escaped in HTML, and gone back to the default on delete.
@Suite struct NotificationTemplateTests {
    @Test func aVendorsTemplateIsUsedCheckedAndRemoved() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let all = try await client.send(.get, "/v1/notification-templates").list
            #expect(all.count == 8 && all.allSatisfy { $0["custom"] as? Bool == false })
            let issued = try await client.send(.get, "/v1/notification-templates/license_issued").object
            #expect((issued["subject"] as? String)?.contains("{{product}}") == true && issued["essential"] as? Bool == true)

            let set = try await client.send(
                .put, "/v1/notification-templates/license_issued",
                ["subject": "{{vendor}}: your {{product}}\nkey", "text": "Key for {{customer}}: {{key}}", "html": "<p>For {{customer}}: <code>{{key}}</code></p>"])
            #expect(set.status == 200 && set.object["custom"] as? Bool == true)
            // Refused, naming the part: one that does not compile, an empty one, an unknown field, an unknown kind.
            let broken = try await client.send(.put, "/v1/notification-templates/license_issued", ["subject": "ok", "text": "{{#open}}", "html": "x"])
            #expect(broken.status == 422 && broken.error["field"] as? String == "text")
            #expect(try await client.send(.put, "/v1/notification-templates/license_issued", ["subject": " ", "text": "x", "html": "x"]).error["field"] as? String == "subject")
            #expect(try await client.send(.put, "/v1/notification-templates/license_issued", ["subject": "s", "text": "x", "html": "x", "css": "x"]).error["field"] as? String == "css")
            #expect(try await client.send(.put, "/v1/notification-templates/newsletter", ["subject": "s", "text": "x", "html": "x"]).status == 404)
            #expect(try await client.send(.get, "/v1/notification-templates/license_issued").object["text"] as? String == "Key for {{customer}}: {{key}}")

            let (policy, customer) = try await NotificationReminderTests.policyAndCustomer(
                client, product: "CAD", policy: ["name": "Team"], customer: ["name": "Tom & <Jerry>", "email": "it@initech.example"])
            let license = try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer]).object
            let key = try #require(license["key"] as? String)
            app.clock.advance(by: NotificationPlanner.interval)
            try await NotificationReminderTests.runJobs(app)
            let made = try #require(try await client.send(.get, "/v1/notifications?kind=license_issued").list.first)
            let shown = try await client.send(.get, "/v1/notifications/\(try #require(made["id"] as? String))").object
            let vendor = try #require(try await client.send(.get, "/v1/account").object["name"] as? String)
            #expect(shown["subject"] as? String == "\(vendor): your CAD key")
            #expect(shown["text"] as? String == "Key for Tom & <Jerry>: \(key)\n")
            #expect((shown["html"] as? String)?.contains("<p>For Tom &amp; &lt;Jerry&gt;: <code>\(key)</code></p>") == true)

            // The change is recorded; delete goes back to the default for the next email.
            let events = try await client.send(.get, "/v1/events?type=notification_template.updated").list
            #expect(events.count == 1 && events.first?["objectId"] as? String == "license_issued")
            let reset = try await client.send(.delete, "/v1/notification-templates/license_issued").object
            #expect(reset["custom"] as? Bool == false && reset["subject"] as? String == issued["subject"] as? String)
            _ = try await client.send(.post, "/v1/licenses", ["policyId": policy, "customerId": customer])
            app.clock.advance(by: NotificationPlanner.interval)
            try await NotificationReminderTests.runJobs(app)
            #expect(try await client.send(.get, "/v1/notifications?kind=license_issued").list.first?["subject"] as? String == "Your CAD license")
        }
    }
}
