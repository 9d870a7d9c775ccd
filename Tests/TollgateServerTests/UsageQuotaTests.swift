import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// Quotas: counters kept with ingestion answer every aggregation as computed by hand; a blocking
/// limit refuses what passes it, an overage limit counts it; thresholds are events once per
/// period; the suggestion is the lowest tier that held the last period.
///
/// The test clock starts at 2027-01-15T08:00:00Z.
@Suite struct UsageQuotaTests {
    static func at(_ text: String) -> String { "2027-\(text)Z" }

    func readQuotas(_ client: TestApp.Client, _ license: String) async throws -> [String: [String: Any]] {
        let reply = try await client.send(.get, "/v1/licenses/\(license)/quotas")
        #expect(reply.status == 200, "\(reply.text)")
        var byMeter: [String: [String: Any]] = [:]
        for quota in reply.object["quotas"] as? [[String: Any]] ?? [] { byMeter[quota["meter"] as! String] = quota }
        return byMeter
    }

    func statuses(_ reply: TestApp.Reply) -> [String] {
        (reply.object["results"] as? [[String: Any]] ?? []).map { ($0["status"] as? String ?? "?") + ($0["code"].map { ":\($0)" } ?? "") }
    }

    func number(_ value: Any?) -> Decimal? { (value as? NSNumber).map { Decimal(string: $0.stringValue)! } }

    @Test func everyAggregationIsCountedAsComputedByHand() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            for meter: [String: Any] in [
                ["code": "executions", "name": "Executions", "aggregation": "count"],
                ["code": "gpu-hours", "name": "GPU hours", "aggregation": "sum"],
                ["code": "storage", "name": "Storage", "aggregation": "max"],
                ["code": "seats", "name": "Seats", "aggregation": "latest"],
                ["code": "users", "name": "Users", "aggregation": "unique_count", "property": "user"],
                ["code": "eu-bytes", "name": "EU bytes", "aggregation": "sum", "property": "bytes", "filters": ["region": ["eu"]]],
            ] { _ = try await client.create("/v1/meters", meter) }
            let limits: [String: Any] = ["executions": 10, "gpu-hours": 100, "storage": 1000, "seats": 50, "users": 3, "eu-bytes": 1_000_000]
            let periods = ["executions": "month", "gpu-hours": "day", "storage": "month", "seats": "month", "users": "month", "eu-bytes": "year"]
            let license = try await client.license(policy: ["name": "Metered", "limits": limits, "limitPeriods": periods])
            func event(_ id: String, _ meter: String, _ time: String, _ quantity: Any? = nil, _ properties: [String: Any]? = nil) -> [String: Any] {
                var event: [String: Any] = ["id": id, "licenseId": license.id, "meter": meter, "timestamp": Self.at(time)]
                if let quantity { event["quantity"] = quantity }
                if let properties { event["properties"] = properties }
                return event
            }
            let batch: [[String: Any]] = [
                // executions: four this month, one last month → 4.
                event("x1", "executions", "01-15T01:00:00"), event("x2", "executions", "01-14T23:30:00"),
                event("x3", "executions", "01-15T07:59:00"), event("x4", "executions", "01-01T00:00:00"),
                event("x5", "executions", "01-01T00:00:00"),  // moved to last month below
                // gpu-hours per day: 2.5 + 1.25 today; 4 yesterday → 3.75.
                event("g1", "gpu-hours", "01-15T01:00:00", "2.5"), event("g2", "gpu-hours", "01-15T07:59:00", 1.25),
                event("g3", "gpu-hours", "01-14T23:30:00", 4),
                // storage max: 300, 700, 200 → 700.
                event("s1", "storage", "01-15T01:00:00", 300), event("s2", "storage", "01-14T23:30:00", 700),
                event("s3", "storage", "01-15T07:59:00", 200),
                // seats latest, sent out of time order: 5 at 07:59 is the latest → 5.
                event("l1", "seats", "01-15T07:59:00", 5), event("l2", "seats", "01-15T01:00:00", 9), event("l3", "seats", "01-14T23:30:00", 7),
                // users: a, b, a, c → 3 distinct.
                event("u1", "users", "01-15T01:00:00", nil, ["user": "a"]), event("u2", "users", "01-14T23:30:00", nil, ["user": "b"]),
                event("u3", "users", "01-15T07:59:00", nil, ["user": "a"]), event("u4", "users", "01-02T00:00:00", nil, ["user": "c"]),
                // eu-bytes: 100 + 25.5 in the EU; the US event and the one without a region are stored, not counted → 125.5.
                event("b1", "eu-bytes", "01-15T01:00:00", nil, ["region": "eu", "bytes": 100]),
                event("b2", "eu-bytes", "01-15T01:00:00", nil, ["region": "us", "bytes": 50]),
                event("b3", "eu-bytes", "01-03T01:00:00", nil, ["region": "eu", "bytes": "25.5"]),
                event("b4", "eu-bytes", "01-03T01:00:00", nil, ["bytes": 7]),
                // An event without the property its meter sums is refused, not stored uncounted.
                event("b5", "eu-bytes", "01-03T01:00:00", nil, ["region": "eu"]),
            ]
            // x5 is last month's: fix its time by hand.
            var events = batch
            events[4]["timestamp"] = "2026-12-31T23:59:59Z"
            let reply = try await client.send(.post, "/v1/usage/events", events)
            #expect(reply.object["accepted"] as? Int == events.count - 1, "\(reply.text)")
            #expect(statuses(reply).last == "rejected:INVALID_USAGE_EVENT")

            let quotas = try await readQuotas(client, license.id)
            #expect(number(quotas["executions"]?["used"]) == 4 && number(quotas["executions"]?["remaining"]) == 6)
            #expect(number(quotas["gpu-hours"]?["used"]) == Decimal(string: "3.75"))
            #expect(quotas["gpu-hours"]?["period"] as? String == "day" && quotas["gpu-hours"]?["resetsAt"] as? String == "2027-01-16T00:00:00Z")
            #expect(number(quotas["storage"]?["used"]) == 700)
            #expect(number(quotas["seats"]?["used"]) == 5)
            #expect(number(quotas["users"]?["used"]) == 3 && number(quotas["users"]?["remaining"]) == 0)
            #expect(number(quotas["eu-bytes"]?["used"]) == Decimal(string: "125.5"))
            #expect(quotas["eu-bytes"]?["periodStart"] as? String == "2027-01-01T00:00:00Z")
            #expect(quotas["executions"]?["enforcement"] as? String == "allow-overage")

            // The counters equal the stored events: a retry changes nothing, a later event adds.
            _ = try await client.send(.post, "/v1/usage/events", events)
            _ = try await client.send(.post, "/v1/usage/events", [event("s4", "storage", "01-15T07:00:00", "700.5"), event("u5", "users", "01-15T07:00:00", nil, ["user": "c"])])
            let after = try await readQuotas(client, license.id)
            #expect(number(after["executions"]?["used"]) == 4)
            #expect(number(after["storage"]?["used"]) == Decimal(string: "700.5"))
            #expect(number(after["users"]?["used"]) == 3)

            // A day later the daily limit has reset; the monthly ones have not.
            app.clock.advance(days: 1)
            let tomorrow = try await readQuotas(client, license.id)
            #expect(number(tomorrow["gpu-hours"]?["used"]) == 0 && number(tomorrow["executions"]?["used"]) == 4)
        }
    }

    /// A gauge's time-weighted average, by hand. The clock reads 2027-01-15T08:00:00Z; January
    /// has 744 hours. Level 4 from Dec 31 12:00 (carried in), 8 from Jan 10, 2 from Jan 12:
    /// (4 × 216 + 8 × 48 + 2 × 80) / 744 = 1408 / 744 = 1.892473… so far this month.
    @Test func aTimeWeightedAverageIsTheLevelOverTimeCarriedAcrossPeriods() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "seats", "name": "Seats", "aggregation": "time_weighted_average"])
            // A blocking limit on a gauge is taken as allow-overage: a reading consumes nothing.
            let license = try await client.license(policy: [
                "name": "Gauge", "limits": ["seats": 1], "limitPeriods": ["seats": "month"], "limitEnforcement": ["seats": "block"],
            ])
            func reading(_ id: String, _ time: String, _ level: Any) -> [String: Any] {
                ["id": id, "licenseId": license.id, "meter": "seats", "timestamp": time, "quantity": level]
            }
            let reply = try await client.send(
                .post, "/v1/usage/events",
                [reading("r3", "2027-01-12T00:00:00Z", 2), reading("r1", "2026-12-31T12:00:00Z", 4), reading("r2", "2027-01-10T00:00:00Z", 8)])
            #expect(statuses(reply) == ["accepted", "accepted", "accepted"], "\(reply.text)")
            let quota = try #require(try await readQuotas(client, license.id)["seats"])
            #expect(number(quota["used"]) == Decimal(string: "1.892473") && quota["enforcement"] as? String == "allow-overage", "\(quota)")
            #expect(number(quota["overage"]) == Decimal(string: "0.892473"))
            // A level of 3 from now (400 hours left): (1408 + 3 × 400) / 744 = 3.505376…
            let estimate = try await client.send(.post, "/v1/usage/estimate", ["licenseId": license.id, "usage": ["seats": 3]])
            let line = (estimate.object["estimates"] as? [[String: Any]])?.first
            #expect(number(line?["overage"]) == Decimal(string: "2.505376") && line?["allowed"] as? Bool == true, "\(estimate.text)")
            let check = try await client.send(.post, "/v1/usage/check", ["licenseId": license.id, "meter": "seats", "quantity": 1])
            #expect(check.object["fits"] as? Bool == false && check.object["allowed"] as? Bool == true)

            // By day: the carried 4, then 8, 8, then 2.
            let days = try await client.send(
                .get, "/v1/analytics/usage?meter=seats&bucket=day&from=2027-01-09&to=2027-01-13&licenseId=\(license.id)")
            #expect((days.object["series"] as? [[String: Any]])?.map { number($0["value"]) } == [4, 8, 8, 2], "\(days.text)")

            // A late reading of 0 on Jan 11 rewrites its hour: (864 + 8 × 24 + 0 + 160) / 744 = 1216 / 744.
            _ = try await client.send(.post, "/v1/usage/events", [reading("r4", "2027-01-11T00:00:00Z", 0)])
            #expect(number(try await readQuotas(client, license.id)["seats"]?["used"]) == Decimal(string: "1.634408"))
            let after = try await client.send(
                .get, "/v1/analytics/usage?meter=seats&bucket=day&from=2027-01-09&to=2027-01-13&top=5")
            #expect((after.object["series"] as? [[String: Any]])?.map { number($0["value"]) } == [4, 8, 0, 2], "\(after.text)")
            // December, the last full period: 4 for 12 hours of 744 = 0.064516…
            let december = try await client.send(
                .get, "/v1/analytics/usage?meter=seats&bucket=month&from=2026-12-01&to=2027-01-01&licenseId=\(license.id)")
            #expect((december.object["series"] as? [[String: Any]])?.map { number($0["value"]) } == [Decimal(string: "0.064516")])
            #expect((after.object["topLicenses"] as? [[String: Any]])?.first?["licenseId"] as? String == license.id)
        }
    }

    @Test func aBlockingLimitRefusesWhatPassesItAndAnOverageLimitCountsIt() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            _ = try await client.create("/v1/meters", ["code": "gpu-hours", "name": "GPU hours", "aggregation": "sum"])
            let license = try await client.license(policy: [
                "name": "Metered", "limits": ["executions": 3, "gpu-hours": 10],
                "limitPeriods": ["executions": "month", "gpu-hours": "month"], "limitEnforcement": ["executions": "block"],
            ])
            let batch = (0..<5).map { ["id": "run-\($0)", "meter": "executions"] }
            let first = try await client.send(.post, "/v1/usage/events", batch, licenseKey: license.key)
            #expect(statuses(first) == ["accepted", "accepted", "accepted", "rejected:USAGE_LIMIT_REACHED", "rejected:USAGE_LIMIT_REACHED"])
            // A retry: the stored ones are duplicates, the refused ones still refused.
            let again = try await client.send(.post, "/v1/usage/events", batch, licenseKey: license.key)
            #expect(statuses(again) == ["duplicate", "duplicate", "duplicate", "rejected:USAGE_LIMIT_REACHED", "rejected:USAGE_LIMIT_REACHED"])
            var check = try await client.send(.post, "/v1/usage/check", ["meter": "executions"], licenseKey: license.key)
            #expect(check.object["fits"] as? Bool == false && check.object["allowed"] as? Bool == false)
            #expect(check.object["code"] as? String == "USAGE_LIMIT_REACHED")

            // Overage: 12 of 10 is recorded and reported.
            let big = try await client.send(.post, "/v1/usage/events", ["id": "train-1", "meter": "gpu-hours", "quantity": 12], licenseKey: license.key)
            #expect(statuses(big) == ["accepted"])
            let quotas = try await readQuotas(client, license.id)
            #expect(number(quotas["gpu-hours"]?["overage"]) == 2 && number(quotas["gpu-hours"]?["remaining"]) == 0)
            #expect(number(quotas["executions"]?["used"]) == 3 && quotas["executions"]?["enforcement"] as? String == "block")
            // Validation carries the used amounts when asked, in the signed answer.
            let validated = try await client.validate(license.key, scope: ["usage": true])
            let usage = (validated.object["license"] as? [String: Any])?["usage"] as? [String: Any]
            #expect(number(usage?["executions"]) == 3 && number(usage?["gpu-hours"]) == 12 && usage?.count == 2, "\(validated.text)")
            #expect((try await client.validate(license.key).object["license"] as? [String: Any])?["usage"] == nil)
            check = try await client.send(.post, "/v1/usage/check", ["licenseId": license.id, "meter": "gpu-hours", "quantity": "0.5"])
            #expect(check.object["fits"] as? Bool == false && check.object["allowed"] as? Bool == true && check.object["code"] is NSNull)
            let estimate = try await client.send(.post, "/v1/usage/estimate", ["licenseId": license.id, "usage": ["gpu-hours": 5, "executions": 1]])
            let lines = estimate.object["estimates"] as? [[String: Any]] ?? []
            #expect(lines.map { $0["meter"] as? String } == ["executions", "gpu-hours"], "\(estimate.text)")
            #expect(lines.last.map { number($0["overage"]) == 7 && $0["allowed"] as? Bool == true } == true)
            #expect(lines.first?["allowed"] as? Bool == false)

            // Bad input: an unknown meter, a meter without a quota, a negative quantity.
            _ = try await client.create("/v1/meters", ["code": "exports", "name": "Exports", "aggregation": "count"])
            #expect(try await client.send(.post, "/v1/usage/check", ["licenseId": license.id, "meter": "nope"]).errorCode == "UNKNOWN_METER")
            #expect(try await client.send(.post, "/v1/usage/check", ["licenseId": license.id, "meter": "exports"]).errorCode == "NO_QUOTA")
            #expect(try await client.send(.post, "/v1/usage/check", ["licenseId": license.id, "meter": "gpu-hours", "quantity": -1]).status == 422)
            #expect(try await client.send(.post, "/v1/usage/check", ["meter": "gpu-hours"]).status == 422)

            // Next month the limit has reset.
            app.clock.set(Date(timeIntervalSince1970: 1_801_440_000))  // 2027-02-01T00:00:00Z
            let next = try await client.send(.post, "/v1/usage/events", ["id": "run-9", "meter": "executions"], licenseKey: license.key)
            #expect(statuses(next) == ["accepted"])
        }
    }

    /// Two batches at once against the last units of a blocking limit: together they take exactly
    /// the limit (on PostgreSQL the counter row's lock orders them).
    @Test func concurrentBatchesTakeExactlyTheLimit() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            let license = try await client.license(policy: [
                "name": "Metered", "limits": ["executions": 20], "limitPeriods": ["executions": "month"], "limitEnforcement": ["executions": "block"],
            ])
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for sender in 0..<8 {
                    group.addTask {
                        let batch = (0..<5).map { ["id": "s\(sender)-\($0)", "licenseId": license.id, "meter": "executions"] }
                        return try await client.send(.post, "/v1/usage/events", batch).object["accepted"] as? Int ?? -1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 20)
            #expect(number(try await readQuotas(client, license.id)["executions"]?["used"]) == 20)
        }
    }

    @Test func thresholdsAreEventsOncePerPeriod() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            let license = try await client.license(policy: ["name": "Metered", "limits": ["executions": 10], "limitPeriods": ["executions": "month"]])
            var sent = 0
            func send(_ count: Int) async throws {
                let batch = (0..<count).map { _ in
                    sent += 1
                    return ["id": "e\(sent)", "meter": "executions"]
                }
                #expect(try await client.send(.post, "/v1/usage/events", batch, licenseKey: license.key).object["accepted"] as? Int == count)
            }
            func crossings() async throws -> [[String: Any]] {
                try await client.send(.get, "/v1/events?type=usage.threshold_crossed").list.compactMap { $0["data"] as? [String: Any] }
            }
            try await send(7)
            #expect(try await crossings().isEmpty)
            try await send(1)
            #expect(try await crossings().map { $0["threshold"] as? Int } == [80])
            try await send(1)
            try await send(2)
            try await send(3)
            var seen = try await crossings()
            #expect(seen.map { $0["threshold"] as? Int } == [80, 100])
            #expect(seen.last?["licenseId"] as? String == license.id && seen.last?["period"] as? String == "month")
            #expect(number(seen.last?["used"]) == 11)
            // Next month: each threshold once more.
            app.clock.set(Date(timeIntervalSince1970: 1_801_440_000))
            try await send(12)
            seen = try await crossings()
            #expect(seen.map { $0["threshold"] as? Int } == [80, 100, 80, 100])
            #expect(seen.last?["periodStart"] as? String == "2027-02-01T00:00:00Z")
        }
    }

    @Test func theSuggestionIsTheLowestTierThatHeldTheLastPeriod() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            let product = try await client.create("/v1/products", ["code": "engine", "name": "Engine"])["id"] as! String
            func tier(_ name: String, _ limit: Any, rank: Int) async throws -> String {
                try await client.create(
                    "/v1/policies",
                    ["productId": product, "name": name, "limits": ["executions": limit], "limitPeriods": ["executions": "month"], "rank": rank])["id"] as! String
            }
            // Created out of rank order: the rank decides.
            let ultimate = try await tier("Ultimate", "unlimited", rank: 30)
            let pro = try await tier("Pro", 100, rank: 20)
            let basic = try await tier("Basic", 10, rank: 10)
            let customer = try await client.create("/v1/customers", ["name": "Acme", "email": "ops@acme.test"])["id"] as! String
            let license = try await client.create("/v1/licenses", ["policyId": basic, "customerId": customer])["id"] as! String
            func suggested() async throws -> [String: Any]? {
                try await client.send(.get, "/v1/licenses/\(license)/quotas").object["suggestedTier"] as? [String: Any]
            }
            // No usage last month: Basic, the license's own tier, holds it.
            let own = try await suggested()
            #expect(own?["policyId"] as? String == basic && own?["current"] as? Bool == true)
            // 50 executions last December: Pro is the lowest tier that holds them.
            let december = (0..<50).map { ["id": "d\($0)", "licenseId": license, "meter": "executions", "timestamp": "2026-12-20T10:00:00Z"] }
            #expect(try await client.send(.post, "/v1/usage/events", december).object["accepted"] as? Int == 50)
            #expect(try await suggested()?["policyId"] as? String == pro)
            // 150: only Ultimate does.
            let more = (0..<100).map { ["id": "m\($0)", "licenseId": license, "meter": "executions", "timestamp": "2026-12-21T10:00:00Z"] }
            #expect(try await client.send(.post, "/v1/usage/events", more).object["accepted"] as? Int == 100)
            #expect(try await suggested().map { $0["policyId"] as? String == ultimate && $0["name"] as? String == "Ultimate" } == true)
        }
    }

    @Test func enforcementNamesLimitsOfThePolicy() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let product = try await client.create("/v1/products", ["code": "engine", "name": "Engine"])["id"] as! String
            let reply = try await client.send(
                .post, "/v1/policies", ["productId": product, "name": "P", "limits": ["executions": 3], "limitEnforcement": ["nope": "block"]])
            #expect(reply.status == 422 && reply.errorCode == "UNKNOWN_LIMIT")
            let bad = try await client.send(
                .post, "/v1/policies", ["productId": product, "name": "P", "limits": ["executions": 3], "limitEnforcement": ["executions": "stop"]])
            #expect(bad.status == 422 || bad.status == 400)
            // A limit without a period keeps no enforcement.
            let policy = try await client.create(
                "/v1/policies", ["productId": product, "name": "P", "limits": ["executions": 3], "limitEnforcement": ["executions": "block"]])
            #expect((policy["limitEnforcement"] as? [String: Any])?.isEmpty == true && policy["rank"] as? Int == 0)
        }
    }
}

/// Raw events are deleted after the retention; the counters (quotas, analytics) stay, and the
/// retention cannot be set below the window in which late events are taken.
@Suite struct UsageRetentionTests {
    @Test func oldEventsAreDeletedAndTheirCountersStay() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            let license = try await client.license(policy: ["name": "Metered", "limits": ["executions": 10], "limitPeriods": ["executions": "month"]])
            let events: [[String: Any]] = [
                ["id": "old", "licenseId": license.id, "meter": "executions", "timestamp": "2026-12-16T08:00:00Z"],
                ["id": "new", "licenseId": license.id, "meter": "executions"],
            ]
            #expect(try await client.send(.post, "/v1/usage/events", events).object["accepted"] as? Int == 2)
            // 70 days on, the retention of 90 days reaches back to 2027-01-05: "old" goes, "new" stays.
            app.clock.advance(days: 70)
            _ = try await app.built.runDueJobs()
            let store = app.built.services.store
            let accountId = app.built.defaultAccount.id
            let remaining = try await store.read { session in
                try await session.sql.query("SELECT id FROM usage_events WHERE account_id = ?", [.text(accountId)]).compactMap { $0.string("id") }
            }
            #expect(remaining == ["new"])
            let december = try await store.read {
                try await $0.usageCounters.tallies(
                    accountId: accountId, licenseId: license.id, meter: "executions", period: .month,
                    from: Date(timeIntervalSince1970: 1_796_083_200), to: Date(timeIntervalSince1970: 1_796_083_201))
            }
            #expect(december.map(\.tally.events) == [1])
        }
    }

    @Test func theLateAndAheadWindowsAreConfigured() async throws {
        let app = try await TestApp.make(environment: ["TOLLGATE_USAGE_LATE_DAYS": "2", "TOLLGATE_USAGE_AHEAD_MINUTES": "0", "TOLLGATE_USAGE_RETENTION_DAYS": "3"])
        try await app.run { client in
            _ = try await client.create("/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "count"])
            let license = try await client.license()
            func event(_ id: String, _ time: String) -> [String: Any] { ["id": id, "licenseId": license.id, "meter": "executions", "timestamp": time] }
            // The clock reads 2027-01-15T08:00:00Z.
            let reply = try await client.send(
                .post, "/v1/usage/events",
                [event("in", "2027-01-13T08:00:01Z"), event("late", "2027-01-13T07:59:59Z"), event("ahead", "2027-01-15T08:00:01Z")])
            let statuses = (reply.object["results"] as? [[String: Any]] ?? []).map { ($0["status"] as? String ?? "?") + ($0["code"].map { ":\($0)" } ?? "") }
            #expect(statuses == ["accepted", "rejected:TIMESTAMP_OUT_OF_RANGE", "rejected:TIMESTAMP_OUT_OF_RANGE"], "\(reply.text)")
            #expect(((reply.object["results"] as? [[String: Any]])?[1]["message"] as? String)?.contains("2 days back and 0 minutes ahead") == true)
        }
    }

    @Test func theRetentionIsNeverShorterThanTheLateWindow() throws {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration().applying(environment: ["TOLLGATE_USAGE_RETENTION_DAYS": "35"]) }
        #expect(try ServerConfiguration().applying(environment: ["TOLLGATE_USAGE_RETENTION_DAYS": "36"]).usageRetentionDays == 36)
        // A longer late window needs a longer retention; a shorter one allows a shorter retention.
        #expect(throws: ConfigurationError.self) { try ServerConfiguration().applying(environment: ["TOLLGATE_USAGE_LATE_DAYS": "120"]) }
        let short = try ServerConfiguration().applying(environment: ["TOLLGATE_USAGE_LATE_DAYS": "2", "TOLLGATE_USAGE_RETENTION_DAYS": "3"])
        #expect(short.usageLateDays == 2 && short.usageRetentionDays == 3)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration().applying(environment: ["TOLLGATE_USAGE_AHEAD_MINUTES": "-1"]) }
    }
}
