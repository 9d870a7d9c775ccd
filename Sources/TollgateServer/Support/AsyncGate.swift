import Synchronization

/// Lets one task at a time through a section that suspends, in arrival order.
///
/// A buffer that takes its batch before writing it needs this: without it, a flush asked for
/// by the sweeper or a test could find the buffer already emptied by the periodic flush and
/// return while that batch is still being written. Swift has no async mutex in the standard
/// library or in our packages (NIO's locks block threads), hence these few lines.
final class AsyncGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Runs `body` once every task that entered before has left.
    func exclusively<T>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (entry: CheckedContinuation<Void, Never>) in
            let enter = state.withLock { state in
                if state.held {
                    state.waiters.append(entry)
                    return false
                }
                state.held = true
                return true
            }
            if enter { entry.resume() }
        }
        defer {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.held = false
                    return nil
                }
                return state.waiters.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
