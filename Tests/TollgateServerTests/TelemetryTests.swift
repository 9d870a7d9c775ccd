import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// Telemetry: taken only for licenses whose policy opted in, only with the properties its meter
/// declares, and stored under salted pseudonyms: no row of any usage table names the license or
/// the machine, while dedup, analytics per license and distinct counts still work.
@Suite struct TelemetryTests {
    func statuses(_ reply: TestApp.Reply) -> [String] {
        (reply.object["results"] as? [[String: Any]] ?? []).map { ($0["status"] as? String ?? "?") + ($0["code"].map { ":\($0)" } ?? "") }
    }

    @Test func telemetryIsOptInDeclaredAndPseudonymous() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let meter = try await client.create(
                "/v1/meters",
                [
                    "code": "latency", "name": "Latency", "kind": "telemetry", "aggregation": "max", "property": "latencyMs",
                    "allowedProperties": ["latencyMs", "screen"], "percentiles": true,
                ])
            #expect(meter["kind"] as? String == "telemetry" && meter["allowedProperties"] as? [String] == ["latencyMs", "screen"])
            // A usage meter declares no list; a telemetry meter reads only what it declares.
            let usageWithList = try await client.send(
                .post, "/v1/meters", ["code": "runs", "name": "Runs", "aggregation": "count", "allowedProperties": ["x"]])
            #expect(usageWithList.status == 422 && usageWithList.error["field"] as? String == "allowedProperties")
            let undeclared = try await client.send(
                .post, "/v1/meters",
                ["code": "errors", "name": "Errors", "kind": "telemetry", "aggregation": "count", "filters": ["level": ["error"]]])
            #expect(undeclared.status == 422 && undeclared.error["field"] as? String == "filters", "\(undeclared.text)")

            // The tier that opted in, with a monthly limit of the same code: telemetry never binds it.
            let opted = try await client.license(policy: ["name": "Insights", "telemetry": true, "limits": ["latency": 1], "limitPeriods": ["latency": "month"]])
            let other = try await client.license(policy: ["name": "Private"])
            #expect(try await client.send(.get, "/v1/policies/\(opted.policy)").object["telemetry"] as? Bool == true)
            #expect(try await client.send(.get, "/v1/policies/\(other.policy)").object["telemetry"] as? Bool == false)
            let machine = try await client.activate(opted.key, fingerprint: "ws-telemetry").object["machine"] as? [String: Any]
            let machineId = try #require(machine?["id"] as? String)

            let events: [[String: Any]] = [
                ["id": "t1", "licenseId": opted.id, "machineId": machineId, "meter": "latency", "properties": ["latencyMs": 40, "screen": "export"]],
                ["id": "t2", "licenseId": opted.id, "meter": "latency", "properties": ["latencyMs": 60]],
                ["id": "t3", "licenseId": other.id, "meter": "latency", "properties": ["latencyMs": 10]],
                ["id": "t4", "licenseId": opted.id, "meter": "latency", "properties": ["latencyMs": 10, "email": "ann@example.com"]],
            ]
            let first = try await client.send(.post, "/v1/usage/events", events)
            #expect(statuses(first) == ["accepted", "accepted", "rejected:TELEMETRY_NOT_OPTED_IN", "rejected:INVALID_USAGE_EVENT"], "\(first.text)")
            // Retried: each once, under the same pseudonym.
            let again = try await client.send(.post, "/v1/usage/events", Array(events.prefix(2)))
            #expect(statuses(again) == ["duplicate", "duplicate"])

            // No row of any usage table names the license or the machine, nor holds the refused e-mail.
            let store = app.built.services.store
            let tables = ["usage_events", "usage_counters", "usage_histograms", "feature_uses"]
            var pseudonyms = Set<String>()
            for table in tables {
                let rows = try await store.read { try await $0.sql.query("SELECT * FROM \(table)", []) }
                #expect(!rows.isEmpty, "\(table)")
                for row in rows {
                    let license = try #require(row.string("license_id"))
                    #expect(license.hasPrefix(TelemetryPseudonym.prefix) && license != opted.id, "\(table): \(license)")
                    pseudonyms.insert(license)
                    #expect(row.string("machine_id").map { $0.hasPrefix(TelemetryPseudonym.prefix) } ?? true)
                    #expect(row.string("properties")?.contains("ann@") != true)
                }
            }
            #expect(pseudonyms.count == 1)
            let stored = try await store.read { try await $0.sql.query("SELECT machine_id FROM usage_events WHERE id = 't1'", []) }
            #expect(stored.first?.string("machine_id")?.hasPrefix(TelemetryPseudonym.prefix) == true)

            // Analytics read one license through its pseudonym, or the account; not a customer.
            let perLicense = try await client.send(.get, "/v1/analytics/usage?meter=latency&bucket=day&licenseId=\(opted.id)")
            let bucket = (perLicense.object["series"] as? [[String: Any]])?.last
            #expect(bucket?["events"] as? Int == 2 && (bucket?["value"] as? NSNumber)?.intValue == 60, "\(perLicense.text)")
            let account = try await client.send(.get, "/v1/analytics/usage?meter=latency&bucket=day")
            #expect((account.object["topLicenses"] as? [[String: Any]])?.first?["licenseId"] as? String == pseudonyms.first)
            let customer = try await client.send(.get, "/v1/licenses/\(opted.id)").object["customerId"] as! String
            let byCustomer = try await client.send(.get, "/v1/analytics/usage?meter=latency&customerId=\(customer)")
            #expect(byCustomer.status == 422, "\(byCustomer.text)")
            // The quota of the limit named 'latency' leaves the telemetry meter out.
            let quotas = try await client.send(.get, "/v1/licenses/\(opted.id)/quotas")
            #expect((quotas.object["quotas"] as? [Any])?.isEmpty == true, "\(quotas.text)")
        }
    }
}
