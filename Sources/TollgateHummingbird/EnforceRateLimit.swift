import Foundation
import Hummingbird
import Synchronization
import TollgateClient
import TollgateFormats

/// Holds requests to the license's limit `limit` (a limit code whose value is requests per
/// second, `requestsPerSecond` by default, from the machine token) with a token bucket that
/// refills continuously and holds one second's worth; beyond it, 429 `RATE_LIMITED` with
/// `Retry-After`. No limit of that code, or `"unlimited"`, means no limit here. The bucket is
/// per process.
///
/// ```swift
/// router.group("api").add(middleware: EnforceRateLimit(client, limit: "requestsPerSecond"))
/// ```
public struct EnforceRateLimit<Context: RequestContext>: RouterMiddleware {
    public let client: TollgateClient
    /// The limit code read as requests per second.
    public let limit: String
    private let bucket: Bucket
    let now: @Sendable () -> ContinuousClock.Instant

    public init(_ client: TollgateClient, limit: String = "requestsPerSecond") {
        self.init(client, limit: limit, now: { ContinuousClock.now })
    }

    init(_ client: TollgateClient, limit: String = "requestsPerSecond", now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.client = client
        self.limit = limit
        self.now = now
        bucket = Bucket(start: now())
    }

    final class Bucket: Sendable {
        struct State {
            var tokens: Double
            var updated: ContinuousClock.Instant
        }
        let state: Mutex<State>
        init(start: ContinuousClock.Instant) { state = Mutex(State(tokens: .infinity, updated: start)) }

        /// Takes a token at `now` for a limit of `rate` per second; `false` when none is left.
        func take(rate: Double, now: ContinuousClock.Instant) -> Bool {
            state.withLock { state in
                let elapsed = (now - state.updated) / .seconds(1)
                state.tokens = min(rate, state.tokens + elapsed * rate)
                state.updated = now
                guard state.tokens >= 1 else { return false }
                state.tokens -= 1
                return true
            }
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let state = client.state
        guard state.allowsUse else { return LicenseDenial.licenseRequired(state).response }
        if let limit = client.limit(limit)?.maximum, !bucket.take(rate: Double(limit), now: now()) {
            return LicenseDenial(
                status: .tooManyRequests, code: .rateLimited, message: "This license allows \(limit) requests per second.",
                details: ["limit": .number(limit), "currentTier": .string(client.claims?.tier)], retryAfterSeconds: 1
            ).response
        }
        return try await next(request, context)
    }
}
