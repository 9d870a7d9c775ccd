import Foundation
import TollgateDomain
import TollgateFormats
import TollgateStore

/// The recurring job `cleanup`, every ``interval``: forgets `Idempotency-Key` records older than
/// ``idempotencyWindow``, jobs that ran once and succeeded more than ``jobRetention`` ago, expired
/// portal sessions, failed sign-ins older than a day (the throttle's window is shorter) and webhook
/// deliveries that ended more than ``webhookRetention`` ago, with their attempts. The deletes and
/// the job's completion are one transaction.
struct CleanupJob: JobHandler {
    let clock: any TollgateClock
    var kind: String { Self.kind }

    static let kind = "cleanup"
    static let interval: TimeInterval = 600
    /// How long an `Idempotency-Key` is remembered.
    static let idempotencyWindow: TimeInterval = 86_400
    /// How long a finished job stays readable.
    static let jobRetention: TimeInterval = 7 * 86_400
    /// How long a webhook delivery that succeeded or was given up stays in its endpoint's log.
    static let webhookRetention: TimeInterval = 30 * 86_400

    func perform(_ run: JobRun) async throws {
        let now = clock.now()
        try await run.finish { session in
            try await session.idempotency.deleteOlder(than: now.addingTimeInterval(-Self.idempotencyWindow))
            try await session.jobs.deleteSucceeded(before: now.addingTimeInterval(-Self.jobRetention))
            try await session.webSessions.prune(at: now, failuresBefore: now.addingTimeInterval(-86_400))
            try await session.webhookDeliveries.deleteFinished(before: now.addingTimeInterval(-Self.webhookRetention))
        }
    }
}
