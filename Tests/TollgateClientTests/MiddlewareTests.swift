import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TollgateClient
import TollgateDomain
import TollgateFormats
@testable import TollgateHummingbird

/// The Hummingbird middleware over a client activated against a live server.
@Suite(.serialized) struct MiddlewareTests {
    /// The example app's routes around `client`.
    func router(_ client: TollgateClient, rateLimit: EnforceRateLimit<BasicRequestContext>? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        let gated = router.group().add(middleware: RequireValidLicense(client))
        gated.group("reports").add(middleware: CheckUsageLimit(client, "executionsPerMonth", meter: "executions")).get { _, _ in "a report" }
        gated.group("sso").add(middleware: RequireEntitlement(client, "sso")).get { _, _ in "sso" }
        gated.group("api").add(middleware: rateLimit ?? EnforceRateLimit(client)).get { _, _ in "api" }
        return router
    }

    func activated(_ server: LiveServer, preset: String = "professional") async throws -> TollgateClient {
        let license = try await server.license(preset: preset)
        let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
        try await client.activate(key: license.key)
        return client
    }

    static func error(_ response: TestResponse) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any])?["error"] as? [String: Any] ?? [:]
    }

    @Test func aValidLicensePassesAndAMissingFeatureNamesTheTierThatHasIt() async throws {
        try await withLiveServer { server in
            let client = try await activated(server)
            try await Application(router: router(client)).test(.router) { app in
                try await app.execute(uri: "/reports", method: .get) { #expect($0.status == .ok) }
                try await app.execute(uri: "/sso", method: .get) { response in
                    #expect(response.status == .forbidden && response.headers[.contentType] == "application/json")
                    let error = Self.error(response)
                    #expect(error["code"] as? String == "FEATURE_NOT_ENTITLED" && error["feature"] as? String == "sso")
                    #expect(error["currentTier"] as? String == "Professional" && error["requiredTier"] as? String == "Enterprise")
                }
            }
        }
    }

    @Test func withoutALicenseGatedRoutesAnswer402() async throws {
        try await withLiveServer { server in
            let license = try await server.license()
            let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
            try await Application(router: router(client)).test(.router) { app in
                try await app.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
                for path in ["/reports", "/sso", "/api"] {
                    try await app.execute(uri: path, method: .get) { response in
                        #expect(response.status.code == 402, "\(path)")
                        #expect(Self.error(response)["code"] as? String == "LICENSE_REQUIRED" && Self.error(response)["state"] as? String == "inactive")
                    }
                }
            }
            // A suspension seen at a beat closes the gate too.
            try await client.activate(key: license.key)
            try await server.admin("POST", "/v1/licenses/\(license.id)/actions/suspend")
            server.clock.advance(by: 3)
            _ = await client.beat()
            try await Application(router: router(client)).test(.router) { app in
                try await app.execute(uri: "/reports", method: .get) { response in
                    #expect(response.status.code == 402 && Self.error(response)["state"] as? String == "SUSPENDED")
                }
            }
        }
    }

    @Test func theMonthlyExecutionLimitAnswers402AtTheLimit() async throws {
        try await withLiveServer { server in
            let client = try await activated(server, preset: "community")  // 1,000 executions a month
            try client.record(meter: "executions", quantity: 998)
            try await Application(router: router(client)).test(.router) { app in
                try await app.execute(uri: "/reports", method: .get) { #expect($0.status == .ok) }
                try await app.execute(uri: "/reports", method: .get) { #expect($0.status == .ok) }
                try await app.execute(uri: "/reports", method: .get) { response in
                    let error = Self.error(response)
                    #expect(response.status.code == 402 && error["code"] as? String == "USAGE_LIMIT_REACHED")
                    #expect(error["used"] as? Int == 1_000 && error["maximum"] as? Int == 1_000)
                    #expect(error["currentTier"] as? String == "Community" && error["requiredTier"] as? String == "Professional")
                }
            }
            #expect(client.usedThisMonth("executions") == 1_000)
        }
    }

    @Test func theRateLimitIsTheTiersRequestsPerSecond() async throws {
        try await withLiveServer { server in
            let client = try await activated(server, preset: "community")  // 10 requests per second
            final class Clock: Sendable { let now = Mutex(ContinuousClock.now) }
            let clock = Clock()
            let limiter = EnforceRateLimit<BasicRequestContext>(client, now: { clock.now.withLock { $0 } })
            try await Application(router: router(client, rateLimit: limiter)).test(.router) { app in
                for _ in 0..<10 { try await app.execute(uri: "/api", method: .get) { #expect($0.status == .ok) } }
                try await app.execute(uri: "/api", method: .get) { response in
                    #expect(response.status == .tooManyRequests && response.headers[.retryAfter] == "1")
                    #expect(Self.error(response)["limit"] as? Int == 10)
                }
                clock.now.withLock { $0 = $0.advanced(by: .milliseconds(500)) }
                for _ in 0..<5 { try await app.execute(uri: "/api", method: .get) { #expect($0.status == .ok) } }
                try await app.execute(uri: "/api", method: .get) { #expect($0.status == .tooManyRequests) }
            }
        }
    }

    @Test func theHeartbeatServiceDeactivatesAtGracefulShutdown() async throws {
        try await withLiveServer { server in
            let client = try await activated(server)
            let machine = try #require(client.activation?.machineId)
            #expect(client.activation?.heartbeatIntervalSeconds == 600)
            let group = ServiceGroup(services: [HeartbeatService(client: client)], logger: Logger(label: "test"))
            let running = Task { try await group.run() }
            try await Task.sleep(for: .milliseconds(300))
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(client.activation == nil)
            #expect(try await server.admin("GET", "/v1/machines/\(machine)")["status"] as? String == "deactivated")
        }
    }
}
