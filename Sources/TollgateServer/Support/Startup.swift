import Synchronization
import TollgateDomain

/// What a server's start produced, once it has: the database migrated, the signing keys open and
/// the default account there (``buildApplication(_:clock:logger:onServerRunning:)`` does this
/// before the HTTP server binds, in `beforeServerStarts`, while the database client already runs
/// as a service of the group). Services that read the database wait for it (``AfterStartup``).
final class Startup: Sendable {
    /// The default account, the admin token generated for it on first start (when
    /// `TOLLGATE_ADMIN_TOKEN` was not set) and the first owner's invitation path (on first start),
    /// to print once.
    struct Result: Sendable {
        var defaultAccount: Account
        var generatedAdminToken: String?
        var ownerInvitation: String?
    }

    private struct State {
        var outcome: Swift.Result<Result, any Error>?
        var waiters: [CheckedContinuation<Result, any Error>] = []
    }
    private let state = Mutex(State())
    private let gate = AsyncGate()

    /// Runs `start` unless a start has succeeded already (then its result stands); one at a time.
    @discardableResult
    func run(_ start: () async throws -> Result) async throws -> Result {
        try await gate.exclusively {
            if let result { return result }
            do {
                let result = try await start()
                finish(.success(result))
                return result
            } catch {
                finish(.failure(error))
                throw error
            }
        }
    }

    /// The result, once the start has finished.
    var result: Result? {
        state.withLock { state in
            if case .success(let result)? = state.outcome { return result }
            return nil
        }
    }

    /// Waits for the start to finish; throws its error if it failed.
    func value() async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Swift.Result<Result, any Error>? in
                if state.outcome == nil { state.waiters.append(continuation) }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Records how the start ended and wakes every waiter.
    private func finish(_ outcome: Swift.Result<Result, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Result, any Error>] in
            // A failed start may be tried again (a test's ``BuiltApplication`` run after it); its
            // waiters hear the failure.
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
