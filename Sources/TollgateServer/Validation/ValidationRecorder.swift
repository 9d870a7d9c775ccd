import Foundation
import Logging
import Synchronization
import TollgateDomain
import TollgateFormats
import TollgateStore

/// Logs validations without slowing them: answers append to a buffer in memory, which the
/// ``BatchWriter`` writes in one transaction every flush interval and once more at shutdown.
/// The same transaction records the days each license used the entitlements its valid
/// validations asked for (`feature_uses`, feature adoption in analytics).
final class ValidationRecorder: BatchBuffer {
    /// A validation waiting to be written; its id is assigned when the batch is written.
    struct Pending: Sendable {
        var accountId: String?
        var licenseId: String?
        var code: ValidationCode
        var valid: Bool
        var remoteAddress: String?
        var occurredAt: Date
        /// The entitlements a valid answer confirmed the scope asked for: feature adoption.
        var features: [String] = []
    }

    private let buffer = Mutex<[Pending]>([])
    let flushes = AsyncGate()
    /// While the database refuses writes, at most this many validations wait; the oldest go first.
    static let maximumPending = 1_000_000
    private let store: Store
    private let logger: Logger

    init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Queues one validation for the next batch.
    func record(_ event: Pending) {
        buffer.withLock { $0.append(event) }
    }

    /// Writes everything queued; on failure the batch is put back for the next attempt.
    func write() async {
        let batch = buffer.withLock { buffer -> [Pending] in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        guard !batch.isEmpty else { return }
        let ids = Identifier.make(.validation, at: batch.map(\.occurredAt))
        let events = zip(ids, batch).map { id, event in
            ValidationEventTable.Event(
                id: id, accountId: event.accountId, licenseId: event.licenseId, code: event.code, valid: event.valid,
                remoteAddress: event.remoteAddress, occurredAt: event.occurredAt)
        }
        var used: [String: Set<UsageAnalyticsTable.FeatureUse>] = [:]
        for event in batch where !event.features.isEmpty {
            guard let accountId = event.accountId, let licenseId = event.licenseId else { continue }
            let day = LimitPeriod.day.window(containing: event.occurredAt)!.start
            for feature in event.features { used[accountId, default: []].insert(.init(feature: feature, day: day, licenseId: licenseId)) }
        }
        let uses = used
        do {
            try await store.appendToLog { session in
                try await session.validations.insert(events)
                for (accountId, uses) in uses.sorted(by: { $0.key < $1.key }) {
                    try await session.usageAnalytics.recordFeatureUses(
                        accountId: accountId, uses.sorted())
                }
            }
        } catch {
            let dropped = buffer.withLock { buffer -> Int in
                buffer.insert(contentsOf: batch, at: 0)
                let overflow = max(0, buffer.count - Self.maximumPending)
                buffer.removeFirst(overflow)
                return overflow
            }
            logger.warning(
                "Validation log batch not written; will retry",
                metadata: ["count": "\(batch.count)", "dropped": "\(dropped)", "error": "\(error)"])
        }
    }
}
