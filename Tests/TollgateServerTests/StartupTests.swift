import Foundation
import Synchronization
import HTTPTypes
import HummingbirdTesting
import TollgateDomain
import Testing
@testable import TollgateServer

/// The server's start as `tollgate serve` runs it: nothing is read while it is built; its service
/// group runs the database client, and the migrations, the keys and the first account come in
/// `beforeServerStarts`, before any request.
@Suite struct StartupTests {
    @Test func aServerStartsInItsServiceGroupOnAnEmptyDatabase() async throws {
        let app = try await TestApp.make(startNow: false)
        #expect(app.built.services.startup.result == nil)
        #expect(app.built.services.keys.snapshot.keys.isEmpty)
        try await app.run { client in
            let account = try await client.send(.get, "/v1/account")
            #expect(account.status == 200)
            #expect(account.object["id"] as? String == app.built.defaultAccount.id)
            #expect(app.built.generatedAdminToken == nil, "the configured admin token is used, none generated")
            let license = try await client.license()
            #expect(try await client.activate(license.key, fingerprint: "fp-1").status == 201)
        }
    }
}

/// A server built with `startNow` has started once; running it does not start it again.
@Suite struct StartNowTests {
    @Test func aServerStartedAtBuildIsNotStartedAgainWhenItRuns() async throws {
        let app = try await TestApp.make()
        let starts = Starts()
        let built = try await buildApplication(app.configuration, clock: app.clock, startNow: true, onStarted: { _, _, _ in starts.count.add(1, ordering: .relaxed) })
        #expect(starts.count.load(ordering: .relaxed) == 1)
        try await built.application.test(.router) { client in
            let reply = try await TestApp.Client(client: client).send(.get, "/v1/account")
            #expect(reply.status == 200)
        }
        #expect(starts.count.load(ordering: .relaxed) == 1)
        try? FileManager.default.removeItem(atPath: app.directory)
    }
}

final class Starts: Sendable {
    let count = Atomic<Int>(0)
}
