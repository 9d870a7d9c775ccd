import Foundation
import HTTPTypes
import Logging
import Testing
@testable import TollgateDomain
import TollgateFormats
import TollgateStore
@testable import TollgateServer

/// The job runner on a real store: the sweep and the clean-up as recurring jobs, a runner that
/// lost its lease cannot commit its work, failures back off exponentially until a job dies.
@Suite struct JobRunnerTests {
    /// A job kind for these tests: creates a customer named by the payload, in the transaction
    /// that completes the job, after waiting for `gate` when one is given.
    struct CreateCustomer: JobHandler {
        let accountId: String
        var gate: AsyncStream<Void>?
        var kind: String { "test.create-customer" }

        func perform(_ run: JobRun) async throws {
            if let gate { for await _ in gate { break } }
            let (accountId, name, now) = (accountId, run.job.payload, run.clock.now())
            try await run.finish { session in
                try await session.customers.insert(
                    Customer(id: Identifier.make(.customer, at: now), accountId: accountId, name: name, email: nil, metadata: [:], createdAt: now, updatedAt: now))
            }
        }
    }

    /// A job kind that always fails.
    struct Fail: JobHandler {
        struct Refused: Error {}
        var kind: String { "test.fail" }
        func perform(_ run: JobRun) async throws { throw Refused() }
    }

    func runner(_ app: TestApp, _ handlers: [any JobHandler], lease: TimeInterval = 30) -> JobRunner {
        JobRunner(
            store: app.built.services.store, handlers: handlers, recurring: [], clock: app.clock, pollInterval: .seconds(1), lease: lease,
            logger: Logger(label: "test"))
    }

    @Test func theSweepAndTheCleanUpAreRecurringJobs() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let (_, machine, _) = try await HeartbeatTests().activate(client)
            app.clock.advance(by: 91)
            // The server's own runner may take the due sweep first; either way it runs once.
            var status: String?
            for _ in 0..<100 where status != "deactivated" {
                try await app.built.runDueJobs()
                status = try await client.send(.get, "/v1/machines/\(machine)").object["status"] as? String
                if status != "deactivated" { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == "deactivated")
            #expect(try await client.send(.get, "/v1/events?type=machine.died").list.count == 1)
            let store = app.built.services.store
            let jobs = try await store.read { session in
                await (try session.jobs.find(dedupeKey: "recurring:machine-sweep"), try session.jobs.find(dedupeKey: "recurring:cleanup"))
            }
            let sweep = try #require(jobs.0)
            #expect(sweep.every == 15 && sweep.runAt > app.clock.now())
            #expect(jobs.1?.every == CleanupJob.interval)
        }
    }

    @Test func aRunnerThatLostItsLeaseCannotCommitItsWork() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let store = app.built.services.store
            let accountId = app.built.defaultAccount.id
            let now = app.clock.now()
            try await store.write { try await $0.jobs.enqueue(.init(kind: "test.create-customer", payload: "Once", runAt: now), at: now) }
            let (gate, open) = AsyncStream<Void>.makeStream()
            let slow = runner(app, [CreateCustomer(accountId: accountId, gate: gate)])
            async let first = slow.runDue()
            // The slow runner holds the job until its lease runs out; another takes it and finishes.
            var taken = 0
            for _ in 0..<100 where taken == 0 {
                try await Task.sleep(for: .milliseconds(20))
                if try await store.read({ try await $0.jobs.counts()[.running] }) == 1 {
                    app.clock.advance(by: 31)
                    taken = try await runner(app, [CreateCustomer(accountId: accountId)]).runDue()
                }
            }
            #expect(taken == 1)
            open.yield()
            #expect(try await first == 1)
            let names = try await client.send(.get, "/v1/customers?limit=100").list.compactMap { $0["name"] as? String }
            #expect(names.filter { $0 == "Once" }.count == 1)
            let succeeded = try await store.read { try await $0.jobs.counts()[.succeeded] }
            #expect(succeeded == 1)
        }
    }

    @Test func aFailingJobBacksOffExponentiallyThenDies() async throws {
        #expect((1...6).map { JobRunner.backoff(after: $0, every: nil) } == [5, 10, 20, 40, 80, 160])
        #expect(JobRunner.backoff(after: 30, every: nil) == 3_600 && JobRunner.backoff(after: 30, every: 15) == 15)
        let app = try await TestApp.make()
        try await app.run { _ in
            let store = app.built.services.store
            let now = app.clock.now()
            try await store.write { try await $0.jobs.enqueue(.init(kind: "test.fail", dedupeKey: "fail", maxAttempts: 3, runAt: now), at: now) }
            let failing = runner(app, [Fail()])
            var waits: [TimeInterval] = []
            for _ in 0..<3 {
                #expect(try await failing.runDue() == 1)
                #expect(try await failing.runDue() == 0)
                let job = try #require(try await store.read { try await $0.jobs.find(dedupeKey: "fail") })
                waits.append(job.runAt.timeIntervalSince(app.clock.now()))
                app.clock.advance(by: 3_600)
            }
            let dead = try #require(try await store.read { try await $0.jobs.find(dedupeKey: "fail") })
            #expect(waits.prefix(2) == [5, 10])
            #expect(dead.state == .dead && dead.attempts == 3 && dead.lastError?.contains("Refused") == true)
            #expect(try await failing.runDue() == 0)
        }
    }
}
