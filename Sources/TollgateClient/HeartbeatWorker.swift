import Foundation

/// Beats for a ``TollgateClient`` until cancelled: every `interval` while the server confirms,
/// with exponential backoff and jitter while it cannot be reached (so a fleet coming back does
/// not hit the server at once), and stops at a refusal, after which the client is failed and its
/// ``TollgateClient/onFailure(_:)`` handlers have run. After each confirmed beat it sends buffered
/// usage. When cancelled (graceful shutdown) it sends usage once more and deactivates a floating
/// machine so its seat is free at once.
///
/// In a ServiceLifecycle app, `TollgateHummingbird` makes it a `Service`; elsewhere run it in a task:
/// ```swift
/// let heartbeat = Task { await HeartbeatWorker(client: client, interval: .seconds(600)).run() }
/// ```
public struct HeartbeatWorker: Sendable {
    public let client: TollgateClient
    /// The policy's heartbeat interval (the machine answer's `heartbeatIntervalSeconds`).
    public var interval: Duration
    /// The first retry delay after a failed beat; it doubles per failure up to `interval`.
    public var initialBackoff: Duration = .seconds(1)
    /// Deactivate floating machines when cancelled.
    public var deactivateOnShutdown = true
    /// How the worker waits (tests record the delays instead).
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    public init(client: TollgateClient, interval: Duration) {
        self.client = client
        self.interval = interval
    }

    /// The delay before retry number `failures` (1-based): `initialBackoff · 2^(failures-1)`,
    /// capped at `interval`, times a random factor in [0.5, 1].
    public func backoff(afterFailures failures: Int, random: Double = Double.random(in: 0.5...1)) -> Duration {
        let exponent = Double(min(max(failures - 1, 0), 30))
        let seconds = min(initialBackoff / .seconds(1) * pow(2, exponent), interval / .seconds(1))
        return .seconds(seconds * random)
    }

    /// Beats until cancelled or refused; then deactivates (floating machines, on cancellation).
    /// While the client is not activated it waits an interval at a time.
    public func run() async {
        var failures = 0
        while !Task.isCancelled {
            let delay: Duration
            // Not activated (yet): an app may activate later; nothing to beat until then.
            guard client.activation != nil else {
                do { try await sleep(interval) } catch { break }
                continue
            }
            switch await client.beat() {
            case .confirmed:
                failures = 0
                await client.flushUsage()
                delay = interval
            case .unreachable:
                failures += 1
                delay = backoff(afterFailures: failures)
            case .refused:
                return
            }
            do { try await sleep(delay) } catch { break }
        }
        await shutDown()
    }

    /// Deactivates a floating machine, outside the cancelled task so the request is still sent.
    public func shutDown() async {
        let client = self.client
        let deactivate = deactivateOnShutdown && client.activation?.floating == true
        await Task {
            await client.flushUsage()
            if deactivate { try? await client.deactivate() }
        }.value
    }
}
