import Foundation
import HTTPTypes
import Testing
import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

@Suite struct HeartbeatTests {
    static var shortBeats: [String: Any] { [
        "name": "Beats", "maxMachines": 1, "heartbeatIntervalSeconds": 60, "heartbeatGraceSeconds": 30, "resurrectionWindowSeconds": 300,
    ] }

    func activate(_ client: TestApp.Client, policy: [String: Any] = HeartbeatTests.shortBeats) async throws -> (license: (id: String, key: String, product: String, policy: String), machine: String, token: String) {
        let license = try await client.license(policy: policy)
        let reply = try await client.activate(license.key, fingerprint: "fp-1")
        let machine = reply.object["machine"] as! [String: Any]
        return (license, machine["id"] as! String, reply.object["token"] as! String)
    }

    /// A machine that died and was culled, and another machine that took its seat.
    func culledAndReplaced(_ app: TestApp, _ client: TestApp.Client) async throws -> (license: (id: String, key: String, product: String, policy: String), machine: String) {
        let (license, machine, _) = try await activate(client)
        app.clock.advance(by: 91)
        try await app.built.sweepMachines()
        // The seat is free: another machine takes it.
        #expect(try await client.activate(license.key, fingerprint: "fp-2").status == 201)
        return (license, machine)
    }

    @Test func aHeartbeatMovesTheDeadlineAndAnswersANewToken() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (_, machine, token) = try await activate(client)
            app.clock.advance(by: 50)
            let beat = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token)
            #expect(beat.status == 200)
            let next = try #require(beat.object["token"] as? String)
            #expect(next != token)
            #expect((beat.object["license"] as! [String: Any])["status"] as? String == "active")
            app.clock.advance(by: 80)
            // 80 s after the last beat: past the interval, within the grace.
            let shown = try await client.send(.get, "/v1/machines/\(machine)")
            #expect(shown.object["status"] as? String == "alive")
            #expect(try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: next).status == 200)
        }
    }

    @Test func aMachineThatMissesItsDeadlineDiesIsCulledAndComesBackWithinTheWindow() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (license, machine, _) = try await activate(client)
            app.clock.advance(by: 91)
            #expect(try await client.send(.get, "/v1/machines/\(machine)").object["status"] as? String == "dead")
            #expect(try await app.built.sweepMachines().died == 1)
            let culled = try await client.send(.get, "/v1/machines/\(machine)").object
            #expect(culled["status"] as? String == "deactivated")
            #expect(culled["deactivationReason"] as? String == "dead")
            // Within the resurrection window a beat brings it back.
            app.clock.advance(by: 100)
            let back = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", licenseKey: license.key)
            #expect(back.status == 200)
            #expect((back.object["machine"] as! [String: Any])["status"] as? String == "alive")
            let actions = try await client.auditActions()
            #expect(actions.contains("machine.died"))
            #expect(actions.contains("machine.resurrected"))
        }
    }

    @Test func aCulledMachineComesBackWithItsOwnToken() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (_, machine, token) = try await activate(client)
            app.clock.advance(by: 91)
            try await app.built.sweepMachines()
            let verdict = try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object
            #expect(verdict["valid"] as? Bool == false)
            #expect(verdict["code"] as? String == "MACHINE_DEACTIVATED")
            app.clock.advance(by: 60)
            let back = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token)
            #expect(back.status == 200)
            #expect((back.object["machine"] as! [String: Any])["status"] as? String == "alive")
            #expect(try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object["valid"] as? Bool == true)
        }
    }

    @Test func aCulledMachineOutsideTheWindowStaysDeactivatedAndItsSeatIsFree() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (license, machine) = try await culledAndReplaced(app, client)
            app.clock.advance(by: 400)
            let late = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", licenseKey: license.key)
            #expect(late.status == 409)
            #expect(late.errorCode == "MACHINE_DEACTIVATED")
        }
    }

    @Test func resurrectionNeedsAFreeSeat() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (license, machine) = try await culledAndReplaced(app, client)
            app.clock.advance(by: 10)
            let back = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", licenseKey: license.key)
            #expect(back.status == 422)
            #expect(back.errorCode == "MACHINE_LIMIT_EXCEEDED")
        }
    }

    @Test func theKeepStrategyLeavesDeadMachinesHoldingTheirSeats() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var policy = HeartbeatTests.shortBeats
            policy["deadMachineStrategy"] = "keep"
            let (license, machine, token) = try await activate(client, policy: policy)
            app.clock.advance(by: 120)
            #expect(try await app.built.sweepMachines().died == 0)
            #expect(try await client.send(.get, "/v1/machines/\(machine)").object["status"] as? String == "dead")
            #expect(try await client.activate(license.key, fingerprint: "fp-2").errorCode == "MACHINE_LIMIT_EXCEEDED")
            let back = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token)
            #expect(back.status == 200)
            #expect(try await client.auditActions().contains("machine.resurrected"))
        }
    }

    @Test func aSuspensionIsSeenAtTheNextBeatAndOlderTokensAreRefused() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (license, machine, token) = try await activate(client)
            try await client.send(.post, "/v1/licenses/\(license.id)/actions/suspend")
            let refused = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token)
            #expect(refused.status == 401)
            #expect(refused.errorCode == "TOKEN_REVOKED")
            #expect(refused.error["licenseStatus"] as? String == "suspended")
            let verified = try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object
            #expect(verified["valid"] as? Bool == false)
            #expect(verified["code"] as? String == "TOKEN_REVOKED")
            // With the license key the machine learns the status, and gets no token.
            let byKey = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", licenseKey: license.key).object
            #expect(byKey["valid"] as? Bool == false)
            #expect(byKey["code"] as? String == "SUSPENDED")
            #expect(byKey["token"] is NSNull)
            // Two refusals of one machine for one reason within a minute: one audit sample.
            await app.built.flushTokenRefusals()
            #expect(try await client.auditActions().filter { $0 == "token.refused" }.count == 1)

            try await client.send(.post, "/v1/licenses/\(license.id)/actions/reinstate")
            let fresh = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", licenseKey: license.key).object
            let newToken = try #require(fresh["token"] as? String)
            #expect(try await client.send(.post, "/v1/tokens/verify", ["token": newToken], token: nil).object["valid"] as? Bool == true)
            // Still refused: the old token's version is gone for good.
            #expect(try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object["valid"] as? Bool == false)
        }
    }

    @Test func deactivationRevokesTheMachinesTokens() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (license, machine, token) = try await activate(client)
            let deleted = try await client.send(.delete, "/v1/machines/\(machine)", token: token)
            #expect(deleted.status == 200)
            #expect(deleted.object["status"] as? String == "deactivated")
            #expect(try await client.send(.delete, "/v1/machines/\(machine)", licenseKey: license.key).errorCode == "MACHINE_ALREADY_DEACTIVATED")
            let verified = try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object
            #expect(verified["code"] as? String == "TOKEN_REVOKED")
            #expect(try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token).errorCode == "TOKEN_REVOKED")
            // The seat is free.
            #expect(try await client.activate(license.key, fingerprint: "fp-2").status == 201)
        }
    }

    @Test func tokensExpireAfterThePolicysLifetime() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            var policy = HeartbeatTests.shortBeats
            policy["tokenLifetimeMinutes"] = 5
            let (_, machine, token) = try await activate(client, policy: policy)
            let claims = try #require(try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object["claims"] as? [String: Any])
            #expect((claims["exp"] as! Double) - (claims["iat"] as! Double) == 300)
            #expect(claims["fingerprint"] as? String == "fp-1")
            #expect(claims["tier"] as? String == "Beats")
            app.clock.advance(by: 301)
            #expect(try await client.send(.post, "/v1/tokens/verify", ["token": token], token: nil).object["code"] as? String == "TOKEN_EXPIRED")
            #expect(try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token).errorCode == "TOKEN_EXPIRED")
            await app.built.flushTokenRefusals()
            #expect(try await client.auditActions().filter { $0 == "token.refused" }.count == 1)
            var altered = Array(token)
            altered[altered.count - 5] = altered[altered.count - 5] == "A" ? "B" : "A"
            #expect(try await client.send(.post, "/v1/tokens/verify", ["token": String(altered)], token: nil).object["code"] as? String == "TOKEN_INVALID")
        }
    }

    @Test func policiesRefuseHeartbeatIntervalsUnderAMinuteAndTokenLifetimesOutside5To60() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let product = try await client.create("/v1/products", ["code": "p", "name": "P"])["id"] as! String
            let short = try await client.send(.post, "/v1/policies", ["productId": product, "name": "x", "heartbeatIntervalSeconds": 59])
            #expect(short.status == 422)
            #expect(short.error["field"] as? String == "heartbeatIntervalSeconds")
            #expect(try await client.send(.post, "/v1/policies", ["productId": product, "name": "x", "tokenLifetimeMinutes": 61]).status == 422)
            #expect(try await client.send(.post, "/v1/policies", ["productId": product, "name": "x", "tokenLifetimeMinutes": 4]).status == 422)
            let defaults = try await client.create("/v1/policies", ["productId": product, "name": "x"])
            #expect(defaults["heartbeatIntervalSeconds"] as? Int == 600)
            #expect(defaults["tokenLifetimeMinutes"] as? Int == 15)
        }
    }

    @Test func batchedBeatsReachTheStoreAndNeverReviveADeactivatedMachine() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (license, machine, token) = try await activate(client)
            app.clock.advance(by: 30)
            #expect(try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token).status == 200)
            try await app.built.sweepMachines()
            let accountId = app.built.defaultAccount.id
            let stored = try await app.built.services.store.read { try await $0.machines.find(id: machine, accountId: accountId) }
            #expect(stored?.lastHeartbeatAt == app.clock.now())

            app.clock.advance(by: 30)
            #expect(try await client.send(.post, "/v1/machines/\(machine)/heartbeat", licenseKey: license.key).status == 200)
            #expect(try await client.send(.delete, "/v1/machines/\(machine)", licenseKey: license.key).status == 200)
            try await app.built.sweepMachines()
            let after = try await app.built.services.store.read { try await $0.machines.find(id: machine, accountId: accountId) }
            #expect(after?.state == .deactivated)
            #expect(try await client.send(.get, "/v1/machines/\(machine)").object["status"] as? String == "deactivated")
        }
    }
}
