import HTTPTypes
import Synchronization
import TollgateDomain

/// The buckets of one kind of caller (API tokens, licenses, machines, failing addresses), in
/// this process's memory: each replica counts on its own (README, "Rate limits").
///
/// Sharded by key so that two cores rarely wait on one lock. Bounded: a shard that outgrows its
/// share of `capacity` forgets the callers whose buckets are full again (they lose nothing), and,
/// if that is not enough (a flood of new keys), starts over empty.
final class RateLimiter: Sendable {
    private final class Shard: Sendable {
        let states = Mutex<[String: Double]>([:])
    }
    private let shards: [Shard]
    private let shardCapacity: Int
    /// How many callers have a bucket that is not full, about (kept under the shards' locks):
    /// while it is 0, ``wait(_:_:)`` answers without a lock. Failing addresses are rare, so the
    /// validation path usually checks its address for free.
    private let occupied = Atomic<Int>(0)
    private let start = ContinuousClock.now
    /// Seconds since the limiter started, on the monotonic clock; a test may move it.
    let now: @Sendable () -> Double

    init(capacity: Int = 200_000, shards count: Int = 16, now: (@Sendable () -> Double)? = nil) {
        shards = (0..<count).map { _ in Shard() }
        shardCapacity = max(1, capacity / count)
        let start = self.start
        self.now = now ?? { (ContinuousClock.now - start) / .seconds(1) }
    }

    private func shard(_ key: String) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    /// Takes one request of `key` under `limit`.
    func take(_ key: String, _ limit: RateLimit) -> RateLimit.Decision {
        let now = now()
        return shard(key).states.withLock { states in
            var tat = states[key]
            let decision = limit.take(&tat, now: now)
            if decision.allowed {
                if states[key] == nil {
                    if states.count >= shardCapacity { prune(&states, now: now) }
                    occupied.add(1, ordering: .relaxed)
                }
                states[key] = tat
            }
            return decision
        }
    }

    /// When `key` has used up `limit`: the seconds until it may go on; `nil` when it may now.
    func wait(_ key: String, _ limit: RateLimit) -> Int? {
        guard occupied.load(ordering: .relaxed) > 0 else { return nil }
        let now = now()
        return shard(key).states.withLock { states in
            guard let tat = states[key] else { return nil }
            // A bucket that is full again is forgotten: the caller is as if new.
            if tat <= now {
                states[key] = nil
                occupied.subtract(1, ordering: .relaxed)
                return nil
            }
            return limit.wait(tat, now: now)
        }
    }

    /// The callers remembered now, in all shards.
    var count: Int { shards.reduce(0) { total, shard in total + shard.states.withLock { $0.count } } }

    private func prune(_ states: inout [String: Double], now: Double) {
        let before = states.count
        states = states.filter { $0.value > now }
        if states.count >= shardCapacity { states.removeAll(keepingCapacity: true) }
        occupied.subtract(before - states.count, ordering: .relaxed)
    }
}

extension RateLimit.Decision {
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and, when refused, `Retry-After`.
    var headers: HTTPFields {
        var fields = HTTPFields()
        fields[RateLimitHeaders.limit] = "\(limit)"
        fields[RateLimitHeaders.remaining] = "\(remaining)"
        fields[RateLimitHeaders.reset] = "\(allowed ? reset : max(reset, retryAfter))"
        if !allowed { fields[.retryAfter] = "\(retryAfter)" }
        return fields
    }
}

/// The names of the rate limit headers (draft-ietf-httpapi-ratelimit-headers, the form GitHub,
/// Stripe's peers and most gateways send).
enum RateLimitHeaders {
    static let limit = HTTPField.Name("RateLimit-Limit")!
    static let remaining = HTTPField.Name("RateLimit-Remaining")!
    static let reset = HTTPField.Name("RateLimit-Reset")!
}

/// An error answered with headers of its own: the rate limit headers stay on a response a
/// handler refused after the limiter let it through. ``ErrorMiddleware`` unwraps it.
struct ErrorWithHeaders: Error {
    var error: any Error
    var headers: HTTPFields
}
