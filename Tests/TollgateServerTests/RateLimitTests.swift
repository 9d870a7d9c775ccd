import Foundation
import HTTPTypes
import Synchronization
import TollgateDomain
import Testing
@testable import TollgateServer

/// The API's rate limits per credential (README, "Rate limits"); the per-address failure limit
/// and the two-replica exactness claim need real peers and run end to end (tests/e2e/test_rate_limits.py).
@Suite struct RateLimitTests {
    @Test func anAPITokenIsHeldToItsAccountsLimitWithTheHeaders() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try await client.send(.get, "/v1/account")
            #expect(first.header("RateLimit-Limit") == "6000" && first.object["apiRequestsPerMinute"] as? Int == 6_000)
            #expect(try await client.send(.patch, "/v1/account", ["apiRequestsPerMinute": 0]).status == 422)
            #expect(try await client.send(.patch, "/v1/account", ["apiRequestsPerMinute": 5]).object["apiRequestsPerMinute"] as? Int == 5)
            let token = try #require(try await client.send(.post, "/v1/tokens", ["name": "script", "role": "admin"]).object["secret"] as? String)
            var remaining: [String?] = []
            for _ in 0..<4 { remaining.append(try await client.send(.get, "/v1/products", token: token).header("RateLimit-Remaining")) }
            // An error answer keeps the headers.
            let missing = try await client.send(.get, "/v1/products/prd_missing", token: token)
            #expect(missing.status == 404 && missing.header("RateLimit-Remaining") == "0")
            #expect(remaining == ["4", "3", "2", "1"])
            let refused = try await client.send(.get, "/v1/products", token: token)
            #expect(refused.status == 429 && refused.errorCode == "RATE_LIMITED")
            // 12 s a request; the limiter's clock is real time, so a slow machine may have let a second pass.
            #expect(["11", "12"].contains(refused.header("Retry-After")) && refused.header("RateLimit-Limit") == "5")
            #expect(refused.header("RateLimit-Remaining") == "0" && ["59", "60"].contains(refused.header("RateLimit-Reset")))
            // Another token of the account has a bucket of its own.
            #expect(try await client.send(.get, "/v1/products").status == 200)
        }
    }

    @Test func aLicenseKeyAndAMachineTokenAreHeldToTheirPolicysLimit() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Metered", "apiRequestsPerMinute": 3, "maxMachines": 2])
            // The key's bucket: a validation and license-key requests share it.
            let validation = try await client.validate(license.key)
            #expect(validation.object["valid"] as? Bool == true && validation.header("RateLimit-Limit") == "3" && validation.header("RateLimit-Remaining") == "2")
            let activation = try await client.activate(license.key, fingerprint: "fp-1")
            #expect(activation.status == 201 && activation.header("RateLimit-Remaining") == "1")
            #expect(try await client.validate(license.key).header("RateLimit-Remaining") == "0")
            let refused = try await client.validate(license.key)
            #expect(refused.status == 429 && refused.errorCode == "RATE_LIMITED" && ["19", "20"].contains(refused.header("Retry-After")))
            #expect(try await client.activate(license.key, fingerprint: "fp-2").status == 429)
            // The machine's token has its own bucket at the same rate.
            let machine = try #require((activation.object["machine"] as? [String: Any])?["id"] as? String)
            var token = try #require(activation.object["token"] as? String)
            for expected in ["2", "1", "0"] {
                let beat = try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token)
                #expect(beat.status == 200 && beat.header("RateLimit-Remaining") == expected)
                token = beat.object["token"] as? String ?? token
            }
            #expect(try await client.send(.post, "/v1/machines/\(machine)/heartbeat", token: token).status == 429)
            // A policy without a limit: no headers, no refusals.
            let free = try await client.license(policy: ["name": "Free"])
            for _ in 0..<10 { #expect(try await client.validate(free.key).header("RateLimit-Limit") == nil) }
        }
    }

    @Test func aLimiterForgetsBucketsThatAreFullAgainAndStaysBounded() {
        let clock = Mutex(0.0)
        let limiter = RateLimiter(capacity: 32, shards: 2, now: { clock.withLock { $0 } })
        let limit = RateLimit(limit: 2)
        #expect(limiter.wait("a", limit) == nil)
        #expect(limiter.take("a", limit).allowed && limiter.take("a", limit).allowed && !limiter.take("a", limit).allowed)
        #expect(limiter.wait("a", limit) == 30)
        clock.withLock { $0 = 60 }
        #expect(limiter.wait("a", limit) == nil)
        #expect(limiter.take("a", limit).remaining == 1)
        // A flood of new keys beyond the capacity does not grow the limiter without bound.
        for n in 0..<1_000 { _ = limiter.take("k\(n)", limit) }
        #expect(limiter.count <= 32)
    }

    @Test func thePresetsCarryTheSeedTiersRates() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let presets = try await client.send(.get, "/v1/policies/presets").list
            let rates = Dictionary(uniqueKeysWithValues: presets.map { ($0["preset"] as? String ?? "", $0["apiRequestsPerMinute"] as? Int) })
            #expect(rates == ["community": 600, "professional": 6_000, "enterprise": 60_000])
        }
    }

    @Test func limitsTurnedOffAnswerNoHeadersAndRefuseNothing() async throws {
        let app = try await TestApp.make(environment: ["TOLLGATE_RATE_LIMITS": "off"])
        try await app.run { client in
            let license = try await client.license(policy: ["name": "Metered", "apiRequestsPerMinute": 1])
            for _ in 0..<3 {
                let reply = try await client.validate(license.key)
                #expect(reply.status == 200 && reply.header("RateLimit-Limit") == nil)
            }
            #expect(try await client.send(.get, "/v1/account").header("RateLimit-Limit") == nil)
        }
        #expect(throws: (any Error).self) { try ServerConfiguration().applying(environment: ["TOLLGATE_RATE_LIMITS": "maybe"]) }
        #expect(throws: (any Error).self) { try ServerConfiguration().applying(environment: ["TOLLGATE_TRUSTED_PROXIES": "10.0.0.0/40"]) }
        let configured = try ServerConfiguration().applying(environment: ["TOLLGATE_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "TOLLGATE_FAILED_ATTEMPTS_PER_MINUTE": "7"])
        #expect(configured.trustedProxies.count == 2 && configured.failedAttemptsPerMinute == 7)
    }
}
