import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// `POST /v1/usage/events`: every event stored once, retries answered `duplicate`, a reused id
/// with other content `conflict`, bad events refused on their own, each credential confined.
@Suite struct UsageIngestionTests {
    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// A license with meters `executions` (count) and `gpu-hours` (sum).
    func setUp(_ client: TestApp.Client) async throws -> (id: String, key: String) {
        _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
        _ = try await client.create("/v1/meters", ["code": "gpu-hours", "name": "GPU hours", "aggregation": "sum"])
        let license = try await client.license()
        return (license.id, license.key)
    }

    func statuses(_ reply: TestApp.Reply) -> [String] {
        (reply.object["results"] as? [[String: Any]] ?? []).map { ($0["status"] as? String ?? "?") + ($0["code"].map { ":\($0)" } ?? "") }
    }

    func total(_ app: TestApp, license: String, meter: String) async throws -> (count: Int64, micros: Int64) {
        let start = app.clock.now().addingTimeInterval(-40 * 86_400)
        let end = app.clock.now().addingTimeInterval(3_600)
        return try await app.built.services.store.read {
            try await $0.usageEvents.total(accountId: app.built.defaultAccount.id, licenseId: license, meter: meter, from: start, to: end)
        }
    }

    @Test func aBatchIsStoredOnceAndARetryAnswersDuplicate() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let now = Self.time(app.clock.now())
            // The SDKs' form, with a license key: ten tenths of a GPU hour are exactly one.
            let batch = (0..<10).map { ["id": "ev-\($0)", "meter": "gpu-hours", "quantity": 0.1, "timestamp": now] as [String: Any] }
            let first = try await client.send(.post, "/v1/usage/events", ["events": batch], licenseKey: license.key)
            #expect(first.status == 200 && first.object["accepted"] as? Int == 10 && first.object["duplicates"] as? Int == 0)
            let again = try await client.send(.post, "/v1/usage/events", ["events": batch], licenseKey: license.key)
            #expect(again.status == 200 && again.object["accepted"] as? Int == 0 && again.object["duplicates"] as? Int == 10)
            let stored = try await total(app, license: license.id, meter: "gpu-hours")
            #expect(stored.count == 10 && stored.micros == 1_000_000)
        }
    }

    @Test func aReusedIdWithOtherContentIsAConflictAndTheStoredEventStands() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let event: [String: Any] = ["id": "job-1", "licenseId": license.id, "meter": "gpu-hours", "quantity": "2.5", "properties": ["model": "a100"]]
            #expect(statuses(try await client.send(.post, "/v1/usage/events", event)) == ["accepted"])
            var other = event
            other["quantity"] = "3"
            let reply = try await client.send(.post, "/v1/usage/events", [other, event])
            #expect(statuses(reply) == ["conflict:USAGE_EVENT_CONFLICT", "duplicate"])
            #expect(reply.object["conflicts"] as? Int == 1 && reply.object["duplicates"] as? Int == 1)
            // The same id twice in one batch: the first is stored, the second compares with it.
            let twice = try await client.send(.post, "/v1/usage/events", [
                ["id": "job-2", "licenseId": license.id, "meter": "executions"], ["id": "job-2", "licenseId": license.id, "meter": "executions"],
                ["id": "job-2", "licenseId": license.id, "meter": "executions", "quantity": 2],
            ])
            #expect(statuses(twice) == ["accepted", "duplicate", "conflict:USAGE_EVENT_CONFLICT"])
            // An event sent without a time is stored at its arrival, and is the same event when it arrives again later.
            let untimed: [String: Any] = ["id": "job-3", "licenseId": license.id, "meter": "executions"]
            #expect(statuses(try await client.send(.post, "/v1/usage/events", untimed)) == ["accepted"])
            app.clock.advance(by: 60)
            #expect(statuses(try await client.send(.post, "/v1/usage/events", untimed)) == ["duplicate"])
        }
    }

    @Test func aBatchWithBadEventsStoresTheGoodOnes() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let now = app.clock.now()
            let events: [Any] = [
                ["id": "ok-1", "licenseId": license.id, "meter": "executions", "timestamp": Self.time(now.addingTimeInterval(-34 * 86_400))],
                ["id": "bad-meter", "licenseId": license.id, "meter": "tokens"],
                ["id": "bad-quantity", "licenseId": license.id, "meter": "gpu-hours", "quantity": "0.0000001"],
                ["id": "too-old", "licenseId": license.id, "meter": "executions", "timestamp": Self.time(now.addingTimeInterval(-36 * 86_400))],
                ["id": "too-new", "licenseId": license.id, "meter": "executions", "timestamp": Self.time(now.addingTimeInterval(301))],
                ["id": "bad-time", "licenseId": license.id, "meter": "executions", "timestamp": "yesterday"],
                ["meter": "executions", "licenseId": license.id],
                ["id": "no-license", "meter": "executions"],
                ["id": "other-license", "licenseId": "lic_missing", "meter": "executions"],
                ["id": "bad-field", "licenseId": license.id, "meter": "executions", "user": "ann"],
                ["id": "bad-property", "licenseId": license.id, "meter": "executions", "properties": ["nested": ["a": 1]]],
                ["id": "bad-machine", "licenseId": license.id, "meter": "executions", "machineId": "mch_missing"],
                "not an object",
                ["id": "ok-2", "licenseId": license.id, "meter": "gpu-hours", "quantity": "1e3", "properties": ["model": "h100", "spot": true]],
            ]
            let reply = try await client.send(.post, "/v1/usage/events", events)
            #expect(reply.status == 200)
            #expect(statuses(reply) == [
                "accepted", "rejected:UNKNOWN_METER", "rejected:INVALID_QUANTITY", "rejected:TIMESTAMP_OUT_OF_RANGE",
                "rejected:TIMESTAMP_OUT_OF_RANGE", "rejected:INVALID_USAGE_EVENT", "rejected:INVALID_USAGE_EVENT", "rejected:INVALID_USAGE_EVENT",
                "rejected:UNKNOWN_LICENSE", "rejected:INVALID_USAGE_EVENT", "rejected:INVALID_USAGE_EVENT", "rejected:UNKNOWN_MACHINE",
                "rejected:INVALID_USAGE_EVENT", "accepted",
            ])
            let results = reply.object["results"] as? [[String: Any]] ?? []
            #expect(results.map { $0["index"] as? Int } == Array(0..<14))
            #expect(results[6]["id"] == nil && results[1]["id"] as? String == "bad-meter" && (results[1]["message"] as? String)?.contains("tokens") == true)
            #expect(reply.object["accepted"] as? Int == 2 && reply.object["rejected"] as? Int == 12)
            let gpu = try await total(app, license: license.id, meter: "gpu-hours")
            #expect(gpu.count == 1 && gpu.micros == 1_000_000_000)
        }
    }

    @Test func ndjsonLinesAreEventsAndALineThatIsNotJSONIsRefusedAlone() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let body = """
                {"id":"n-1","licenseId":"\(license.id)","meter":"executions"}

                {"id":"n-2","licenseId":"\(license.id)","meter":"gpu-hours","quantity":"0.25"}
                {not json
                {"id":"n-3","licenseId":"\(license.id)","meter":"gpu-hours","quantity":0.5}

                """
            let reply = try await client.send(.post, "/v1/usage/events", headers: ["Content-Type": "application/x-ndjson"], raw: body)
            #expect(statuses(reply) == ["accepted", "accepted", "rejected:INVALID_USAGE_EVENT", "accepted"])
            #expect(try await total(app, license: license.id, meter: "gpu-hours").micros == 750_000)
        }
    }

    @Test func eachCredentialRecordsOnlyItsOwnLicense() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let other = try await client.license()
            // A license key: its own license by default, another one refused.
            let keyed = try await client.send(
                .post, "/v1/usage/events", [["id": "k-1", "meter": "executions"], ["id": "k-2", "meter": "executions", "licenseId": other.id]],
                licenseKey: license.key)
            #expect(statuses(keyed) == ["accepted", "rejected:UNKNOWN_LICENSE"])
            // A machine token: its machine by default, another machine refused.
            let activated = try await client.activate(license.key, fingerprint: "fp-usage")
            let token = try #require(activated.object["token"] as? String)
            let machine = try #require((activated.object["machine"] as? [String: Any])?["id"] as? String)
            let beat = try await client.send(
                .post, "/v1/usage/events", [["id": "m-1", "meter": "executions"], ["id": "m-2", "meter": "executions", "machineId": "mch_other"]],
                token: token)
            #expect(statuses(beat) == ["accepted", "rejected:UNKNOWN_LICENSE"])
            let machines = try await app.built.services.store.read {
                try await $0.sql.query("SELECT machine_id FROM usage_events WHERE id = 'm-1'", [])
            }
            #expect(machines.first?.string("machine_id") == machine)
            // An API token names the license (a read-only one may not record: AccessTests).
            #expect(statuses(try await client.send(.post, "/v1/usage/events", ["id": "a-1", "meter": "executions"])) == ["rejected:INVALID_USAGE_EVENT"])
        }
    }

    /// An API token may name the license by its customer, who must hold exactly one license that
    /// is not revoked; other credentials record their own license only.
    @Test func aCustomerWithOneLicenseNamesIt() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let customer = try await client.send(.get, "/v1/licenses/\(license.id)").object["customerId"] as! String
            let policy = try await client.send(.get, "/v1/licenses/\(license.id)").object["policyId"] as! String
            // A second customer with two licenses, one of them revoked: still one that counts.
            let two = try await client.create("/v1/customers", ["name": "Two"])["id"] as! String
            let kept = try await client.create("/v1/licenses", ["policyId": policy, "customerId": two])["id"] as! String
            let revoked = try await client.create("/v1/licenses", ["policyId": policy, "customerId": two])["id"] as! String
            _ = try await client.send(.post, "/v1/licenses/\(revoked)/actions/revoke")
            let three = try await client.create("/v1/customers", ["name": "Three"])["id"] as! String
            for _ in 0..<2 { _ = try await client.create("/v1/licenses", ["policyId": policy, "customerId": three]) }
            let events: [[String: Any]] = [
                ["id": "c-1", "meter": "executions", "customerId": customer], ["id": "c-2", "meter": "executions", "customerId": two],
                ["id": "c-3", "meter": "executions", "customerId": three], ["id": "c-4", "meter": "executions", "customerId": "cus_missing"],
                ["id": "c-5", "meter": "executions", "customerId": customer, "licenseId": license.id],
            ]
            let reply = try await client.send(.post, "/v1/usage/events", events)
            #expect(
                statuses(reply) == ["accepted", "accepted", "rejected:UNKNOWN_LICENSE", "rejected:UNKNOWN_LICENSE", "rejected:INVALID_USAGE_EVENT"],
                "\(reply.text)")
            #expect(((reply.object["results"] as? [[String: Any]])?[2]["message"] as? String)?.contains("holds 2 licenses") == true)
            let stored = try await app.built.services.store.read {
                try await $0.sql.query("SELECT id, license_id FROM usage_events WHERE id IN ('c-1', 'c-2') ORDER BY id", [])
            }
            #expect(stored.map { $0.string("license_id") } == [license.id, kept])
            // A retry by customer is a duplicate; a license key may not name a customer.
            #expect(statuses(try await client.send(.post, "/v1/usage/events", Array(events.prefix(1)))) == ["duplicate"])
            let keyed = try await client.send(.post, "/v1/usage/events", [["id": "c-6", "meter": "executions", "customerId": customer]], licenseKey: license.key)
            #expect(statuses(keyed) == ["rejected:UNKNOWN_LICENSE"])
        }
    }

    /// The fast path reads a well-formed batch as the general one does, and leaves anything else to it.
    @Test func theFastPathReadsWhatTheGeneralOneReads() throws {
        let events = #"[{"id":"a","meter":"m","quantity":"2.5","timestamp":"2027-01-15T08:00:00Z","licenseId":"lic_1","machineId":null,"#
            + #""properties":{"s":"x","i":3,"d":0.25,"b":true}},{"id":"b","meter":"m","quantity":1e3},{"id":"c","meter":"m","quantity":7,"properties":null}]"#
        let general = try JSONDecoder().decode([JSONValue].self, from: Data(events.utf8))
        #expect(UsageEventWire.batch(Data(events.utf8)) == general)
        #expect(UsageEventWire.batch(Data(#"{"events":\#(events)}"#.utf8)) == general)
        for other in [#"[{"id":"a","meter":"m","extra":1}]"#, #"[{"id":"a","meter":"m","quantity":null}]"#, #"{"events":[],"x":1}"#, #"{"id":"a"}"#, "[1,]"] {
            #expect(UsageEventWire.batch(Data(other.utf8)) == nil, "\(other)")
        }
    }

    @Test func malformedRequestsAreRefusedWhole() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await setUp(client)
            let notJSON = try await client.send(.post, "/v1/usage/events", raw: "{nope")
            #expect(notJSON.status == 400 && notJSON.errorCode == "MALFORMED_JSON")
            let empty = try await client.send(.post, "/v1/usage/events", [Any]())
            #expect(empty.status == 422 && empty.errorCode == "INVALID_USAGE_EVENT")
            let tooMany = try await client.send(.post, "/v1/usage/events", (0...1_000).map { ["id": "e\($0)", "meter": "executions", "licenseId": license.id] })
            #expect(tooMany.status == 422 && tooMany.errorCode == "TOO_MANY_EVENTS")
            let extra = try await client.send(.post, "/v1/usage/events", ["events": [], "source": "x"])
            #expect(extra.status == 422 && extra.errorCode == "UNKNOWN_FIELD")
            let scalar = try await client.send(.post, "/v1/usage/events", raw: "42")
            #expect(scalar.status == 400)
            let anonymous = try await client.send(.post, "/v1/usage/events", ["id": "x", "meter": "executions"], token: nil)
            #expect(anonymous.status == 401)
            let stored = try await app.built.services.store.read { try await $0.sql.query("SELECT COUNT(*) AS n FROM usage_events", []) }
            #expect(stored.first?.int("n") == 0)
        }
    }
}
