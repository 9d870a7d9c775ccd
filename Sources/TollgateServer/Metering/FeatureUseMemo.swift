import Synchronization
import TollgateStore

/// The feature uses (license, feature, day) this process has seen committed, so that ingestion
/// does not write `feature_uses` again for each event of a license that already used the meter
/// that day. Measured: the extra statement cost single-event requests 15 % on SQLite and 30 % on
/// PostgreSQL (a round trip each), and batches nothing (`scripts/bench/usage`, BENCHMARKS.md).
///
/// Only committed uses are remembered (``remember(_:)`` after the transaction), so a rolled-back
/// batch leaves nothing out. Forgetting is always safe: the insert ignores rows that exist.
final class FeatureUseMemo: Sendable {
    struct Key: Hashable {
        var accountId: String
        var use: UsageAnalyticsTable.FeatureUse
    }

    private let seen = Mutex<Set<Key>>([])
    /// Past this many, everything is forgotten at once (a day's distinct uses of many licenses).
    private let capacity = 200_000

    init() {}

    /// Whether `use` of the account was committed before.
    func contains(_ use: UsageAnalyticsTable.FeatureUse, accountId: String) -> Bool {
        seen.withLock { $0.contains(Key(accountId: accountId, use: use)) }
    }

    /// Remembers uses that were committed.
    func remember(_ uses: [UsageAnalyticsTable.FeatureUse], accountId: String) {
        guard !uses.isEmpty else { return }
        seen.withLock { seen in
            if seen.count + uses.count > capacity { seen.removeAll(keepingCapacity: true) }
            for use in uses { seen.insert(Key(accountId: accountId, use: use)) }
        }
    }
}
