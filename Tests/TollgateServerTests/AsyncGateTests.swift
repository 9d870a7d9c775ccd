import Synchronization
import Testing

@testable import TollgateServer

/// The gate behind every batch flush: a second flush waits for the one in flight, so "flush"
/// means "what was buffered before this call is written" even while the periodic flush runs.
@Suite struct AsyncGateTests {
    /// What the entrants did, in order.
    final class Trace<Step: Sendable>: Sendable {
        private let steps = Mutex<[Step]>([])
        func add(_ step: Step) { steps.withLock { $0.append(step) } }
        var all: [Step] { steps.withLock { $0 } }
    }

    @Test func aSecondEntrantWaitsUntilTheFirstLeaves() async throws {
        let gate = AsyncGate()
        let order = Trace<String>()
        let (firstInside, enteredFirst) = AsyncStream<Void>.makeStream()
        let (release, releaseFirst) = AsyncStream<Void>.makeStream()
        async let first: Void = gate.exclusively {
            order.add("first in")
            enteredFirst.yield()
            for await _ in release { break }
            order.add("first out")
        }
        for await _ in firstInside { break }
        async let second: Void = gate.exclusively { order.add("second in") }
        // However long the first one holds the gate, the second stays outside.
        for _ in 0..<20 { await Task.yield() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(order.all == ["first in"])
        releaseFirst.yield()
        _ = await (first, second)
        #expect(order.all == ["first in", "first out", "second in"])
    }

    @Test func everyEntrantGoesThroughAndAThrowReleasesTheGate() async throws {
        struct Refused: Error {}
        let gate = AsyncGate()
        await #expect(throws: Refused.self) { try await gate.exclusively { throw Refused() } }
        let order = Trace<Int>()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask { await gate.exclusively { order.add(index) } }
            }
        }
        #expect(order.all.sorted() == Array(0..<50))
    }
}
