import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// Usage analytics: series per hour, day and month for a license, a customer, a product and the
/// account, computed by hand; top licenses; percentiles within 1 %; feature adoption from
/// validation scopes and usage; and the errors of bad queries.
///
/// The test clock starts at 2027-01-15T08:00:00Z.
@Suite struct UsageAnalyticsTests {
    func number(_ value: Any?) -> Decimal? { (value as? NSNumber).map { Decimal(string: $0.stringValue)! } }

    /// `(start, events, value)` of each bucket.
    func series(_ reply: TestApp.Reply) -> [(String, Int, Decimal)] {
        (reply.object["series"] as? [[String: Any]] ?? []).map { ($0["start"] as? String ?? "?", $0["events"] as? Int ?? -1, number($0["value"]) ?? -1) }
    }

    func nonEmpty(_ reply: TestApp.Reply) -> [String: Decimal] {
        var values: [String: Decimal] = [:]
        for (start, events, value) in series(reply) where events > 0 { values[String(start.prefix(13))] = value }
        return values
    }

    @Test func seriesAddUpEachAggregationPerBucketAndScope() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            for meter: [String: Any] in [
                ["code": "executions", "name": "Executions", "aggregation": "count"],
                ["code": "gpu-hours", "name": "GPU hours", "aggregation": "sum"],
                ["code": "storage", "name": "Storage", "aggregation": "max"],
                ["code": "seats", "name": "Seats", "aggregation": "latest"],
                ["code": "users", "name": "Users", "aggregation": "unique_count", "property": "user"],
            ] { _ = try await client.create("/v1/meters", meter) }
            let first = try await client.license()
            let second = try await client.license()
            func event(_ license: String, _ id: String, _ meter: String, _ time: String, _ quantity: Any? = nil, user: String? = nil) -> [String: Any] {
                var event: [String: Any] = ["id": id, "licenseId": license, "meter": meter, "timestamp": "2027-\(time)Z"]
                if let quantity { event["quantity"] = quantity }
                if let user { event["properties"] = ["user": user] }
                return event
            }
            let (a, b) = (first.id, second.id)
            let events: [[String: Any]] = [
                event(a, "x1", "executions", "01-14T10:00:00"), event(a, "x2", "executions", "01-14T11:30:00"),
                event(a, "x3", "executions", "01-15T01:00:00"), event(b, "x4", "executions", "01-15T02:00:00"),
                event(b, "x5", "executions", "01-02T02:00:00"),
                event(a, "g1", "gpu-hours", "01-14T10:00:00", "2.5"), event(a, "g2", "gpu-hours", "01-14T23:00:00", "1.25"),
                event(b, "g3", "gpu-hours", "01-14T12:00:00", 4),
                // max per day: a 300 then 700 on the 14th; b 50 → the 14th for both: 700 + 50.
                event(a, "s1", "storage", "01-14T01:00:00", 300), event(a, "s2", "storage", "01-14T05:00:00", 700),
                event(b, "s3", "storage", "01-14T05:00:00", 50), event(a, "s4", "storage", "01-15T05:00:00", 100),
                // latest per day: a 9 at 03:00, 5 at 07:00 (sent first) → 5; b 2 → 7.
                event(a, "l1", "seats", "01-14T07:00:00", 5), event(a, "l2", "seats", "01-14T03:00:00", 9), event(b, "l3", "seats", "01-14T04:00:00", 2),
                // distinct users per day: a {u, v} on the 14th, {u} on the 15th; b {u} on the 14th.
                event(a, "u1", "users", "01-14T01:00:00", user: "u"), event(a, "u2", "users", "01-14T02:00:00", user: "v"),
                event(a, "u3", "users", "01-14T03:00:00", user: "u"), event(a, "u4", "users", "01-15T01:00:00", user: "u"),
                event(b, "u5", "users", "01-14T01:00:00", user: "u"),
            ]
            let posted = try await client.send(.post, "/v1/usage/events", events)
            #expect(posted.object["accepted"] as? Int == events.count, "\(posted.text)")

            let span = "from=2027-01-01T00:00:00Z&to=2027-01-16T00:00:00Z"
            func read(_ meter: String, _ extra: String) async throws -> TestApp.Reply {
                let reply = try await client.send(.get, "/v1/analytics/usage?meter=\(meter)&\(span)&\(extra)")
                #expect(reply.status == 200, "\(reply.text)")
                return reply
            }
            // One license, by day: every day of the span is a bucket, empty ones too.
            let days = try await read("executions", "bucket=day&licenseId=\(a)")
            #expect(series(days).count == 15 && series(days).first?.0 == "2027-01-01T00:00:00Z")
            #expect(nonEmpty(days) == ["2027-01-14T00": 2, "2027-01-15T00": 1])
            #expect(days.object["topLicenses"] == nil && (days.object["scope"] as? [String: Any])?["licenseId"] as? String == a)
            // The account, by day: both licenses added up.
            #expect(nonEmpty(try await read("executions", "bucket=day")) == ["2027-01-02T00": 1, "2027-01-14T00": 2, "2027-01-15T00": 2])
            #expect(nonEmpty(try await read("gpu-hours", "bucket=day")) == ["2027-01-14T00": Decimal(string: "7.75")!])
            #expect(nonEmpty(try await read("gpu-hours", "bucket=hour&from=2027-01-14T00:00:00Z")) == ["2027-01-14T10": Decimal(string: "2.5")!, "2027-01-14T12": 4, "2027-01-14T23": Decimal(string: "1.25")!])
            #expect(nonEmpty(try await read("storage", "bucket=day")) == ["2027-01-14T00": 750, "2027-01-15T00": 100])
            #expect(nonEmpty(try await read("seats", "bucket=day")) == ["2027-01-14T00": 7])
            #expect(nonEmpty(try await read("users", "bucket=day")) == ["2027-01-14T00": 3, "2027-01-15T00": 1])
            // By month: a's users are {u, v} in January, b's {u}: 2 + 1.
            let months = try await read("users", "bucket=month&from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z")
            #expect(series(months).map(\.2) == [3])
            #expect(series(try await read("storage", "bucket=month&to=2027-02-01T00:00:00Z")).map(\.2) == [750])
            // A customer's licenses and a product's: each license here has its own.
            #expect(nonEmpty(try await read("gpu-hours", "bucket=day&productId=\(second.product)")) == ["2027-01-14T00": 4])
            let customer = try await client.send(.get, "/v1/licenses/\(a)").object["customerId"] as! String
            #expect(nonEmpty(try await read("gpu-hours", "bucket=day&customerId=\(customer)")) == ["2027-01-14T00": Decimal(string: "3.75")!])

            // Top licenses over the span: by total, by largest value.
            let top = try await read("executions", "bucket=day&top=1")
            #expect((top.object["topLicenses"] as? [[String: Any]])?.map { $0["licenseId"] as? String } == [a])
            let storage = try await read("storage", "bucket=month&from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z")
            let ranked = (storage.object["topLicenses"] as? [[String: Any]] ?? []).map { ($0["licenseId"] as? String ?? "", number($0["value"])) }
            #expect(ranked.map(\.0) == [a, b] && ranked.map(\.1) == [700, 50])
            let seats = try await read("seats", "bucket=day")
            #expect((seats.object["topLicenses"] as? [[String: Any]] ?? []).map { number($0["value"]) } == [5, 2])

            // Without 'from' and 'to': the 31 days up to the end of today.
            let recent = try await client.send(.get, "/v1/analytics/usage?meter=executions")
            #expect(series(recent).count == 31 && recent.object["to"] as? String == "2027-01-16T00:00:00Z")
        }
    }

    @Test func groupsSplitAMetersUsageByItsGroupByProperties() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "gpu-hours", "name": "GPU", "aggregation": "sum", "groupBy": ["model"]])
            _ = try await client.create(
                "/v1/meters", ["code": "users", "name": "Users", "aggregation": "unique_count", "property": "user", "groupBy": ["plan"]])
            _ = try await client.create("/v1/meters", ["code": "runs", "name": "Runs", "aggregation": "count"])
            let license = try await client.license(policy: ["name": "Grouped", "limits": ["gpu-hours": 100], "limitPeriods": ["gpu-hours": "month"]])
            func event(_ id: String, _ meter: String, _ quantity: Any?, _ properties: [String: Any]) -> [String: Any] {
                var event: [String: Any] = ["id": id, "licenseId": license.id, "meter": meter, "timestamp": "2027-01-15T07:00:00Z", "properties": properties]
                if let quantity { event["quantity"] = quantity }
                return event
            }
            let posted = try await client.send(
                .post, "/v1/usage/events",
                [
                    event("g1", "gpu-hours", "2.5", ["model": "a100"]), event("g2", "gpu-hours", 1, ["model": "h100"]),
                    event("g3", "gpu-hours", 1, ["model": "a100"]), event("g4", "gpu-hours", 4, [:]),
                    event("g5", "gpu-hours", "0.5", ["model": "a&b=c"]),
                    event("u1", "users", nil, ["user": "ann", "plan": "free"]), event("u2", "users", nil, ["user": "bob", "plan": "pro"]),
                    event("u3", "users", nil, ["user": "ann", "plan": "pro"]),
                ])
            #expect(posted.object["accepted"] as? Int == 8, "\(posted.text)")
            func groups(_ meter: String) async throws -> [String: Decimal] {
                let reply = try await client.send(.get, "/v1/analytics/usage?meter=\(meter)&bucket=day&from=2027-01-15&groupBy=true")
                #expect(reply.status == 200, "\(reply.text)")
                var values: [String: Decimal] = [:]
                for group in reply.object["groups"] as? [[String: Any]] ?? [] {
                    let name = (group["group"] as? [String: String] ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
                    values[name] = (group["series"] as? [[String: Any]])?.first.flatMap { number($0["value"]) }
                }
                return values
            }
            // The total stays the meter's; each group has its own series, an absent property its own group.
            #expect(try await groups("gpu-hours") == ["model=a100": Decimal(string: "3.5")!, "model=h100": 1, "model=": 4, "model=a&b=c": Decimal(string: "0.5")!])
            let total = try await client.send(.get, "/v1/analytics/usage?meter=gpu-hours&bucket=day&from=2027-01-15")
            #expect(series(total).first?.2 == 9 && total.object["groups"] == nil)
            // Distinct users per plan: ann in both, bob in pro; two in all.
            #expect(try await groups("users") == ["plan=free": 1, "plan=pro": 2])
            #expect(series(try await client.send(.get, "/v1/analytics/usage?meter=users&bucket=day&from=2027-01-15")).first?.2 == 2)
            // The quota reads the meter's own counters, never a group's.
            let quotas = try await client.send(.get, "/v1/licenses/\(license.id)/quotas")
            #expect((quotas.object["quotas"] as? [[String: Any]])?.map { number($0["used"]) } == [9], "\(quotas.text)")
            let refused = try await client.send(.get, "/v1/analytics/usage?meter=runs&groupBy=true")
            #expect(refused.status == 422 && refused.error["field"] as? String == "groupBy")
            #expect(try await client.send(.get, "/v1/analytics/usage?meter=runs&groupBy=maybe").status == 400)
        }
    }

    @Test func percentilesOfAMetersValuesAreWithinOnePercent() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create(
                "/v1/meters", ["code": "latency", "name": "Latency", "aggregation": "max", "property": "latencyMs", "percentiles": true])
            let license = try await client.license()
            // 1 … 200 ms in the 07:00 hour; nearest rank: p50 = 100, p95 = 190, p99 = 198.
            let events: [[String: Any]] = (1...200).map {
                ["id": "t\($0)", "licenseId": license.id, "meter": "latency", "timestamp": "2027-01-15T07:\(String(format: "%02d", $0 % 60)):00Z",
                 "properties": ["latencyMs": $0]]
            }
            let posted = try await client.send(.post, "/v1/usage/events", events)
            #expect(posted.object["accepted"] as? Int == 200, "\(posted.text)")
            for query in ["bucket=hour&licenseId=\(license.id)", "bucket=day", "bucket=month"] {
                let reply = try await client.send(.get, "/v1/analytics/usage?meter=latency&\(query)")
                #expect(reply.status == 200, "\(reply.text)")
                let buckets = reply.object["series"] as? [[String: Any]] ?? []
                let filled = try #require(buckets.first { ($0["events"] as? Int ?? 0) > 0 })
                #expect(filled["events"] as? Int == 200 && number(filled["value"]) == 200)
                for (name, exact) in [("p50", 100.0), ("p95", 190.0), ("p99", 198.0)] {
                    let value = try #require((filled[name] as? NSNumber)?.doubleValue, "\(name) in \(filled)")
                    #expect(abs(value - exact) <= exact * 0.01, "\(name) \(value) vs \(exact)")
                }
                #expect(buckets.contains { ($0["events"] as? Int ?? 0) == 0 && $0["p50"] is NSNull } || buckets.count == 1)
            }
            // A meter of counts has no values to rank.
            let refused = try await client.send(
                .post, "/v1/meters", ["code": "runs", "name": "Runs", "aggregation": "count", "percentiles": true])
            #expect(refused.status == 422 && refused.error["field"] as? String == "percentiles", "\(refused.text)")
        }
    }

    @Test func adoptionCountsLicensesPerFeatureFromValidationsAndUsage() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "exports", "name": "Exports", "aggregation": "count"])
            // The professional preset grants core, cloud-deployment, api-access and priority-support.
            let first = try await client.license()
            let second = try await client.license()
            let third = try await client.license(preset: "community")
            try await client.validate(first.key, scope: ["entitlements": ["api-access"]])
            try await client.validate(first.key, scope: ["entitlements": ["api-access", "core"]])
            try await client.validate(second.key, scope: ["entitlements": ["api-access"]])
            // Refused (the starter tier lacks it): not a use.
            try await client.validate(third.key, scope: ["entitlements": ["api-access"]])
            _ = try await client.send(.post, "/v1/usage/events", [["id": "e1", "meter": "exports"]], licenseKey: third.key)
            await app.built.flushValidationLog()
            let reply = try await client.send(.get, "/v1/analytics/adoption")
            #expect(reply.status == 200, "\(reply.text)")
            let features = (reply.object["features"] as? [[String: Any]] ?? []).map { ($0["feature"] as? String ?? "", $0["licenses"] as? Int ?? 0) }
            #expect(features.map(\.0) == ["api-access", "core", "exports"] && features.map(\.1) == [2, 1, 1], "\(features)")
            let ofProduct = try await client.send(.get, "/v1/analytics/adoption?productId=\(third.product)")
            #expect((ofProduct.object["features"] as? [[String: Any]])?.map { $0["feature"] as? String } == ["exports"])
            // Another day's span holds none.
            let earlier = try await client.send(.get, "/v1/analytics/adoption?from=2026-12-01&to=2026-12-02")
            #expect((earlier.object["features"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func badQueriesAnswer4xxInTheErrorShape() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            for (query, status, code) in [
                ("", 400, "INVALID_PARAMETER"), ("meter=nope", 422, "UNKNOWN_METER"), ("meter=executions&bucket=week", 400, "INVALID_PARAMETER"),
                ("meter=executions&from=2027-01-02&to=2027-01-01", 400, "INVALID_PARAMETER"),
                ("meter=executions&bucket=hour&from=2026-01-01", 400, "INVALID_PARAMETER"), ("meter=executions&from=yesterday", 400, "INVALID_PARAMETER"),
                ("meter=executions&licenseId=lic_x&productId=prd_x", 400, "INVALID_PARAMETER"), ("meter=executions&top=101", 400, "INVALID_PARAMETER"),
                ("meter=executions&licenseId=lic_missing", 404, "NOT_FOUND"),
            ] {
                let reply = try await client.send(.get, "/v1/analytics/usage?\(query)")
                #expect(reply.status == status && reply.errorCode == code, "\(query): \(reply.text)")
            }
            let adoption = try await client.send(.get, "/v1/analytics/adoption?productId=prd_missing")
            #expect(adoption.status == 404)
            // License keys read their own quotas, not the account's analytics.
            let license = try await client.license()
            let refused = try await client.send(.get, "/v1/analytics/usage?meter=executions", licenseKey: license.key)
            #expect(refused.status == 401 || refused.status == 403, "\(refused.text)")
        }
    }
}
