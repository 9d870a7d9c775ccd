import Foundation

/// A quota of ``limit`` requests per ``window`` seconds, kept as a generic cell rate algorithm
/// (GCRA): a bucket of `limit` requests that refills one request every `window / limit` seconds.
/// A burst of `limit` passes at once, then one request per interval; the state of one caller is a
/// single number, the theoretical arrival time (`tat`) of its next request.
///
/// The answers are what the `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and
/// `Retry-After` headers say.
public struct RateLimit: Sendable, Equatable {
    /// Requests per window.
    public var limit: Int
    /// The window, in seconds.
    public var window: Double

    public init(limit: Int, window: Double = 60) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// What one request was answered.
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        /// Requests still allowed at once after this one.
        public var remaining: Int
        /// Whole seconds until the quota is full again.
        public var reset: Int
        /// When refused: whole seconds until a request is allowed again (at least 1).
        public var retryAfter: Int
    }

    var interval: Double { window / Double(limit) }

    /// Takes one request at `now` (seconds on any monotonic clock) from the caller whose state is
    /// `tat` (`nil`: a full bucket); `tat` moves only when the request is allowed.
    public func take(_ tat: inout Double?, now: Double) -> Decision {
        let base = max(tat ?? now, now)
        let next = base + interval
        // A hair of slack so that float rounding never refuses the last request of a burst.
        guard next - now <= window + 1e-9 else {
            return Decision(
                allowed: false, limit: limit, remaining: 0, reset: Self.seconds(base - now),
                retryAfter: max(1, Self.seconds(next - now - window)))
        }
        tat = next
        let remaining = Int(((window - (next - now)) / interval + 1e-9).rounded(.down))
        return Decision(allowed: true, limit: limit, remaining: max(0, remaining), reset: Self.seconds(next - now), retryAfter: 0)
    }

    /// Whether a request at `now` would be allowed, without taking it; when not, the seconds to wait.
    public func wait(_ tat: Double?, now: Double) -> Int? {
        let next = max(tat ?? now, now) + interval
        guard next - now > window + 1e-9 else { return nil }
        return max(1, Self.seconds(next - now - window))
    }

    static func seconds(_ value: Double) -> Int { max(0, Int(value.rounded(.up))) }
}
