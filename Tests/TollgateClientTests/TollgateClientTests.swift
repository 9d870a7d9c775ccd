import Foundation
import Synchronization
import Testing
import TollgateServer
import TollgateClient
import TollgateDomain
import TollgateFormats

@Suite(.serialized) struct TollgateClientTests {
    /// A license activated on a fresh storage folder, and a second client on that folder whose
    /// server cannot be reached.
    func activatedThenOffline(_ server: LiveServer) async throws -> (license: (product: String, id: String, key: String), storage: URL, offline: TollgateClient) {
        let license = try await server.license()
        let storage = temporaryStorage()
        try await TollgateClient(try await server.configuration(product: license.product, storage: storage)).activate(key: license.key)
        let unreachable = URL(string: "http://127.0.0.1:\(LiveServer.freePort())")!
        return (license, storage, try TollgateClient(try await server.configuration(product: license.product, storage: storage, serverURL: unreachable)))
    }

    @Test func activationStoresTheTokenAndFileAndValidatesOnline() async throws {
        try await withLiveServer { server in
            let license = try await server.license()
            let storage = temporaryStorage()
            let client = try TollgateClient(try await server.configuration(product: license.product, storage: storage))
            #expect(client.state == .inactive)
            #expect(try await client.activate(key: license.key).allowsUse)
            #expect(await client.validate() == .valid(online: true, offlineUntil: server.clock.now().addingTimeInterval(30 * 86_400)))
            // Files are 0600 in a 0700 folder.
            for name in ["machine.json", "license-file.lic", "status.json"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: storage.appendingPathComponent(name).path)
                #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(name)")
        }
        #expect((try FileManager.default.attributesOfItem(atPath: storage.path)[.posixPermissions] as? Int) == 0o700)
        // Features and limits from the token, served from memory.
        #expect(client.isEntitled("core") && !client.isEntitled("sso"))
        #expect(throws: FeatureRequired(feature: "sso", currentTier: "Professional", requiredTier: "Enterprise")) { try client.require("sso") }
        #expect(client.limit("concurrentExecutions") == .limited(10) && client.limit("maxMachines") == .limited(5))
        // A second process on the same storage picks the activation up.
        let again = try TollgateClient(try await server.configuration(product: license.product, storage: storage))
        #expect(again.activation?.machineId == client.activation?.machineId && again.isEntitled("core"))
        }
    }

    @Test func offlineItRunsThrough30DaysAnd7DaysOfGraceThenFailsClosed() async throws {
        try await withLiveServer { server in
            let (license, storage, offline) = try await activatedThenOffline(server)
            let start = server.clock.now()
            server.clock.advance(days: 29)
            #expect(await offline.validate() == .valid(online: false, offlineUntil: start.addingTimeInterval(30 * 86_400)))
            server.clock.advance(days: 2)
            let grace = await offline.validate()
            #expect(grace == .grace(endsAt: start.addingTimeInterval(37 * 86_400)) && grace.allowsUse && grace.warning != nil)
            #expect(offline.isEntitled("core"))
            server.clock.advance(days: 6)
            #expect(await offline.validate() == .failed(.offlineTooLong))
            #expect(!offline.isEntitled("core"))
            // Back online after 37 days: the machine's heartbeats stopped that long ago, so the sweep
            // has deactivated it (run here, so the test does not race the server's own runner), and
            // the server refuses it until it activates again; then it confirms it.
            try await server.built.runDueJobs()
            let online = try TollgateClient(try await server.configuration(product: license.product, storage: storage))
            var state = await online.validate()
            for _ in 0..<50 where state.allowsUse {
                try await Task.sleep(for: .milliseconds(100))
                state = await online.validate()
            }
            #expect(state == .failed(.deactivated))
            try await online.activate(key: license.key)
            #expect(await online.validate().allowsUse)
        }
    }

    @Test func aClockSetBackIsReportedAsTampering() async throws {
        try await withLiveServer { server in
            let (_, _, offline) = try await activatedThenOffline(server)
            server.clock.advance(days: 10)
            #expect(await offline.validate().allowsUse)
            server.clock.advance(days: -3)
            #expect(await offline.validate() == .failed(.clockTampered))
            server.clock.advance(days: 3)
            #expect(await offline.validate().allowsUse)
        }
    }

    @Test func aSuspensionIsSeenAtTheNextBeatAndTheHandlerIsCalled() async throws {
        try await withLiveServer { server in
            let license = try await server.license()
            let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
            try await client.activate(key: license.key)
            let seen = Mutex<[ClientState]>([])
            client.onFailure { state in seen.withLock { $0.append(state) } }
            #expect(await client.beat() == .confirmed)
            try await server.admin("POST", "/v1/licenses/\(license.id)/actions/suspend")
            let worker = HeartbeatWorker(client: client, interval: .milliseconds(10))
            await worker.run()  // returns at the refusal
            #expect(client.state == .failed(.suspended))
            #expect(seen.withLock { $0 } == [.failed(.suspended)])
            #expect(await client.validate() == .failed(.suspended))
        }
    }

    @Test func theWorkerBacksOffWhileTheServerIsDownAndRecovers() async throws {
        let port = LiveServer.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-sdk-\(UUID().uuidString)").path
        let server = try await LiveServer(port: port, directory: directory)
        let clock = server.clock
        let license = try await server.license()
        let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
        try await client.activate(key: license.key)
        await server.stop()

        let delays = Mutex<[Duration]>([])
        var worker = HeartbeatWorker(client: client, interval: .seconds(600))
        worker.deactivateOnShutdown = false
        let restarted = Mutex<LiveServer?>(nil)
        worker.sleep = { delay in
            let count = delays.withLock { $0.append(delay); return $0.count }
            if count == 5 {
                // The server comes back (same port, same data) after five failed beats.
                let again = try await LiveServer(port: port, directory: directory, clock: clock)
                restarted.withLock { $0 = again }
            }
            if count == 7 { throw CancellationError() }
        }
        await worker.run()
        await restarted.withLock { $0 }?.stop()
        let recorded = delays.withLock { $0 }
        // Four failures: 1, 2, 4, 8 s (each times a jitter in [0.5, 1]); then beats at the interval.
        for (index, delay) in recorded.prefix(4).enumerated() {
            let ceiling = Double(1 << index)
            #expect(delay >= .seconds(ceiling * 0.5) && delay <= .seconds(ceiling), "\(index): \(delay)")
        }
        #expect(recorded.count == 7)
        #expect(recorded.dropFirst(5).allSatisfy { $0 == .seconds(600) })
        #expect(client.state.allowsUse)
    }

    @Test func cancellingTheWorkerDeactivatesAFloatingMachine() async throws {
        try await withLiveServer { server in
            let license = try await server.license()
            let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
            try await client.activate(key: license.key)
            let machine = try #require(client.activation?.machineId)
            let worker = HeartbeatWorker(client: client, interval: .seconds(600))
            let task = Task { await worker.run() }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            await task.value
            #expect(client.state == .inactive && client.activation == nil)
            let shown = try await server.admin("GET", "/v1/machines/\(machine)")
            #expect(shown["status"] as? String == "deactivated")
        }
    }

    @Test func validateWithAMaxAgeAnswersFromMemoryUntilItIsReached() async throws {
        try await withLiveServer { server in
            let (_, storage, offline) = try await activatedThenOffline(server)
            // A new process has judged nothing yet: the first call checks (here: from the file).
            #expect(await offline.validate(maxAge: 60) == .valid(online: false, offlineUntil: offline.status.lastOnlineAt!.addingTimeInterval(30 * 86_400)))
            try FileManager.default.removeItem(at: storage.appendingPathComponent("license-file.lic"))
            server.clock.advance(by: 59)
            #expect(await offline.validate(maxAge: 60).allowsUse)  // from memory: the file is not read
            server.clock.advance(by: 1)
            #expect(await offline.validate(maxAge: 60) == .failed(.invalidLicenseFile("MISSING")))
            server.clock.advance(by: -30)
            #expect(await offline.validate(maxAge: 60) == .failed(.invalidLicenseFile("MISSING")))  // a clock gone back re-checks
        }
    }

    @Test func anExecutionSlotIsALeaseThatComesBack() async throws {
        try await withLiveServer { server in
            let license = try await server.license()  // Professional: 10 concurrent executions
            let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
            try await client.activate(key: license.key)
            func held() async throws -> Int { (try await server.admin("GET", "/v1/licenses/\(license.id)/leases")["data"] as? [Any])?.count ?? -1 }
            final class Gate: Sendable { let open = Mutex(false) }
            let gate = Gate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await client.withExecutionSlot(holder: "job") {
                            while !gate.open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                        }
                    }
                }
                for _ in 0..<200 where try await held() < 10 { try await Task.sleep(for: .milliseconds(20)) }
                #expect(try await held() == 10)
                do {
                    try await client.withExecutionSlot { Issue.record("an eleventh slot was granted") }
                } catch TollgateClientError.refused(_, let code, _) {
                    #expect(code == "CONCURRENCY_LIMIT_EXCEEDED")
                }
                gate.open.withLock { $0 = true }
                try await group.waitForAll()
            }
            #expect(try await held() == 0)
            // A body that throws returns its slot too, and the value of one that does not comes back.
            struct Failed: Error {}
            await #expect(throws: Failed.self) { try await client.withExecutionSlot { throw Failed() } }
            #expect(try await client.withExecutionSlot { try await held() } == 1)
            #expect(try await held() == 0)
        }
    }

    @Test func usageRecordedByTheClientReachesTheServerOnce() async throws {
        try await withLiveServer { server in
            let license = try await server.license()
            try await server.admin("POST", "/v1/meters", ["code": "executions", "name": "Executions", "aggregation": "sum"])
            let client = try TollgateClient(try await server.configuration(product: license.product, storage: temporaryStorage()))
            try await client.activate(key: license.key)
            try client.record(meter: "executions", quantity: 3)
            let pending = client.usage.pendingEvents
            #expect(pending.count == 1 && pending[0].machineId == client.activation?.machineId && pending[0].licenseId == license.id)
            #expect(await client.flushUsage() == .init(sent: 1, pending: 0, rejected: 0))
            #expect(client.usage.pendingEvents.isEmpty)
            #expect(await client.flushUsage() == .init(sent: 0, pending: 0, rejected: 0))
            // The server holds it, with this content: the same event sent again is a duplicate.
            let event = pending[0]
            let again = try await server.admin(
                "POST", "/v1/usage/events",
                [
                    "id": event.id, "meter": "executions", "quantity": 3, "timestamp": event.timestamp.formatted(.iso8601),
                    "licenseId": license.id, "machineId": event.machineId ?? "",
                ])
            #expect(again["duplicates"] as? Int == 1 && again["accepted"] as? Int == 0, "\(again)")
        }
    }
}
