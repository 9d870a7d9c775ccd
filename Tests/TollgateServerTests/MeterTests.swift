import Foundation
import HTTPTypes
import Testing
@testable import TollgateServer

/// Meters: created with a code unique in the account, listed and shown, recorded in the event log.
@Suite struct MeterTests {
    @Test func aMeterIsCreatedListedShownAndItsCodeIsTakenOnce() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let meter = try await client.create(
                "/v1/meters",
                ["code": "gpu-hours", "name": "GPU hours", "aggregation": "sum", "filters": ["region": ["eu", "us"]], "groupBy": ["model"]])
            #expect((meter["id"] as? String)?.hasPrefix("mtr_") == true)
            #expect(meter["aggregation"] as? String == "sum" && meter["property"] == nil && meter["description"] as? String == "")
            #expect(meter["filters"] as? [String: [String]] == ["region": ["eu", "us"]] && meter["groupBy"] as? [String] == ["model"])
            let users = try await client.create("/v1/meters", ["code": "active-users", "name": "Active users", "aggregation": "unique_count", "property": "userId"])
            #expect(users["property"] as? String == "userId")

            let taken = try await client.send(.post, "/v1/meters", ["code": "gpu-hours", "name": "Again", "aggregation": "count"])
            #expect(taken.status == 409 && taken.errorCode == "METER_CODE_TAKEN" && taken.error["field"] as? String == "code")

            let list = try await client.send(.get, "/v1/meters?limit=1")
            #expect(list.status == 200 && list.list.map { $0["code"] as? String } == ["gpu-hours"] && list.object["nextCursor"] is String)
            let shown = try await client.send(.get, "/v1/meters/\(meter["id"] as! String)")
            #expect(shown.status == 200 && shown.object["code"] as? String == "gpu-hours")
            #expect(try await client.send(.get, "/v1/meters/mtr_missing").status == 404)

            let events = try await client.send(.get, "/v1/events?type=meter.created")
            #expect(events.list.map { $0["objectId"] as? String } == [meter["id"] as? String, users["id"] as? String])
        }
    }
}
