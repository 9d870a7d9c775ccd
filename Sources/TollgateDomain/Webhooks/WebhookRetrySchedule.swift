/// When a failed delivery is tried again: after 5 seconds, 5 and 30 minutes, 2, 5, 10 and 12 hours,
/// then a day twice — ten attempts over 77.6 hours, so a receiver that is down over a long weekend
/// (the issue asks for at least 3 days) still gets every event. After the last attempt fails the
/// delivery is given up and, if the endpoint has delivered nothing since, the endpoint is
/// disabled. No jitter: deliveries fail at different times already, and a schedule that tests
/// can name exactly is worth more here than spreading retries of one instant.
public struct WebhookRetrySchedule: Sendable, Equatable {
    /// The waits after each failed attempt, in seconds; attempt `n` (from 1) is followed by
    /// `delays[n - 1]`, and the attempt after the last delay is the last.
    public let delays: [Int64]

    public static let standard = WebhookRetrySchedule(delays: [5, 300, 1_800, 7_200, 18_000, 36_000, 43_200, 86_400, 86_400])

    public init(delays: [Int64]) {
        self.delays = delays
    }

    /// How many attempts a delivery gets in all.
    public var attempts: Int { delays.count + 1 }

    /// The wait in seconds after failed attempt `attempt` (from 1), or `nil` when it was the last.
    public func delay(afterAttempt attempt: Int) -> Int64? {
        attempt >= 1 && attempt <= delays.count ? delays[attempt - 1] : nil
    }

    /// Seconds from the first attempt to the last.
    public var window: Int64 { delays.reduce(0, +) }
}
