import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing
@testable import TollgateClient

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A stand-in for the metering endpoint (it arrives with the metering issue): accepts batches
/// once per `Idempotency-Key`, as the real one will, and can be told to fail or to lose its answers.
final class UsageEndpoint: Sendable {
    enum Mode: Sendable { case accept, down, loseAnswers, reject }
    struct State {
        var mode = Mode.accept
        var keys: [String] = []
        var events: [String: [String: String]] = [:]
        var requests = 0
    }
    final class Recorder: Sendable { let state = Mutex(State()) }
    let recorder = Recorder()
    func withState<T>(_ body: (inout State) -> T) -> T { recorder.state.withLock { body(&$0) } }
    let port = LiveServer.freePort()
    let task: Task<Void, any Error>
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    init() async throws {
        let router = Router()
        let recorder = self.recorder
        router.post("/v1/usage/events") { request, _ -> Response in
            let key = request.headers[.init("Idempotency-Key")!] ?? ""
            let body = try await request.body.collect(upTo: 10 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
            let events = object["events"] as? [[String: Any]] ?? []
            let mode = recorder.state.withLock { state -> Mode in
                state.requests += 1
                guard state.mode == .accept || state.mode == .loseAnswers else { return state.mode }
                if !state.keys.contains(key) {
                    state.keys.append(key)
                    for event in events {
                        let id = event["id"] as? String ?? ""
                        // A duplicate event under a new key would show as a count above one.
                        state.events[id, default: [:]]["count", default: "0"] = String(Int(state.events[id]?["count"] ?? "0")! + 1)
                        state.events[id]?["meter"] = event["meter"] as? String
                    }
                }
                return state.mode
            }
            switch mode {
            case .accept: return Response(status: .accepted)
            case .down, .loseAnswers: return Response(status: .serviceUnavailable)
            case .reject: return Response(status: .badRequest)
            }
        }
        var logger = Logger(label: "usage-endpoint")
        logger.logLevel = .critical
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        task = Task { try await application.runService() }
        for _ in 0..<100 {
            if (try? await URLSession.shared.data(from: url.appendingPathComponent("/nothing"))) != nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func set(_ mode: Mode) { withState { $0.mode = mode } }
    /// Each delivered event id and how many times it was counted.
    var counts: [String: Int] { withState { $0.events.mapValues { Int($0["count"] ?? "0")! } } }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

@Suite(.serialized) struct UsageBufferTests {
    func buffer(_ endpoint: UsageEndpoint, _ directory: URL, chunkSize: Int = 500) throws -> UsageBuffer {
        try UsageBuffer(directory: directory, http: HTTPClient(baseURL: endpoint.url, timeout: 2), path: "/v1/usage/events", chunkSize: chunkSize, now: { Date() })
    }

    @Test func anEventIsOnDiskWhenRecordReturnsAndSentOnce() async throws {
        let endpoint = try await UsageEndpoint()
        let directory = temporaryStorage()
        let usage = try buffer(endpoint, directory)
        for _ in 0..<3 { try usage.record(meter: "executions", quantity: 1) }
        // On disk before anything is sent: another reader of the folder sees all three.
        #expect(try buffer(endpoint, directory).pendingEvents.count == 3)
        #expect(await usage.flush(authorization: nil) == .init(sent: 3, pending: 0, rejected: 0))
        #expect(endpoint.counts.count == 3 && endpoint.counts.values.allSatisfy { $0 == 1 })
        #expect(usage.pendingEvents.isEmpty)
        #expect(await usage.flush(authorization: nil) == .init())
        await endpoint.stop()
    }

    @Test func anOutageKeepsEventsUntilTheEndpointIsBack() async throws {
        let endpoint = try await UsageEndpoint()
        let usage = try buffer(endpoint, temporaryStorage())
        endpoint.set(.down)
        try usage.record(meter: "executions", quantity: 1)
        #expect(await usage.flush(authorization: nil) == .init(sent: 0, pending: 1, rejected: 0))
        try usage.record(meter: "executions", quantity: 2)
        #expect(await usage.flush(authorization: nil) == .init(sent: 0, pending: 2, rejected: 0))
        await endpoint.stop()
        // Nobody listening at all.
        #expect(await usage.flush(authorization: nil) == .init(sent: 0, pending: 2, rejected: 0))
        let back = try await UsageEndpoint()
        let again = try UsageBuffer(directory: usage.directory, http: HTTPClient(baseURL: back.url, timeout: 2), path: "/v1/usage/events", now: { Date() })
        #expect(await again.flush(authorization: nil) == .init(sent: 2, pending: 0, rejected: 0))
        #expect(back.counts.count == 2)
        await back.stop()
    }

    @Test func aLostAnswerIsResentUnderTheSameKeyAndCountedOnce() async throws {
        let endpoint = try await UsageEndpoint()
        let usage = try buffer(endpoint, temporaryStorage(), chunkSize: 2)
        for _ in 0..<5 { try usage.record(meter: "executions", quantity: 1) }
        endpoint.set(.loseAnswers)
        #expect(await usage.flush(authorization: nil) == .init(sent: 0, pending: 5, rejected: 0))
        let firstKeys = endpoint.withState { $0.keys }
        endpoint.set(.accept)
        #expect(await usage.flush(authorization: nil) == .init(sent: 5, pending: 0, rejected: 0))
        let keys = endpoint.withState { $0.keys }
        // The first chunk's key was reused; three chunks in all; every event counted once.
        #expect(firstKeys.count == 1 && keys.first == firstKeys.first && keys.count == 3 && Set(keys).count == 3)
        #expect(endpoint.counts.count == 5 && endpoint.counts.values.allSatisfy { $0 == 1 })
        await endpoint.stop()
    }

    @Test func aCrashLosesNothingAndDuplicatesNothing() async throws {
        let endpoint = try await UsageEndpoint()
        let directory = temporaryStorage()
        // Crash before any flush: a new process finds the journal.
        var crashed: UsageBuffer? = try buffer(endpoint, directory)
        try crashed?.record(meter: "a", quantity: 1)
        // Crash after sealing a batch, before sending it.
        crashed?.seal()
        try crashed?.record(meter: "b", quantity: 1)
        crashed = nil
        // Crash in the middle of writing a line (record never returned): a torn tail.
        let handle = try FileHandle(forUpdating: directory.appendingPathComponent(UsageBuffer.journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"id\":\"torn".utf8))
        try handle.close()
        let restarted = try buffer(endpoint, directory)
        try restarted.record(meter: "c", quantity: 1)
        #expect(await restarted.flush(authorization: nil) == .init(sent: 3, pending: 0, rejected: 0))
        let meters = endpoint.withState { $0.events.values.compactMap { $0["meter"] } }
        #expect(meters.sorted() == ["a", "b", "c"] && endpoint.counts.values.allSatisfy { $0 == 1 })
        await endpoint.stop()
    }

    @Test func aBatchRefusedForGoodIsSetAsideAndTheRestGoesOn() async throws {
        let endpoint = try await UsageEndpoint()
        let usage = try buffer(endpoint, temporaryStorage())
        endpoint.set(.reject)
        try usage.record(meter: "bad", quantity: 1)
        #expect(await usage.flush(authorization: nil) == .init(sent: 0, pending: 0, rejected: 1))
        endpoint.set(.accept)
        try usage.record(meter: "good", quantity: 1)
        #expect(await usage.flush(authorization: nil) == .init(sent: 1, pending: 0, rejected: 0))
        let names = try FileManager.default.contentsOfDirectory(atPath: usage.directory.path)
        #expect(names.contains { $0.hasPrefix("rejected-batch-") })
        await endpoint.stop()
    }
}
