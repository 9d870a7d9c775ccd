import Foundation
import TollgateFormats

/// What `/metrics` reports of the whole installation (every account): licenses by status,
/// active machines, the job queue, the webhook backlog. A handful of aggregate reads, made at
/// most every few seconds however often Prometheus scrapes (``BusinessMetrics``).
public struct OperationsQuery {
    let sql: any SQLExecutor

    /// One reading.
    public struct Snapshot: Sendable, Equatable {
        /// `active`, `expired` (active but past its expiry), `suspended`, `revoked` → count.
        public var licensesByStatus: [String: Int64]
        /// Active licenses whose expiry falls within the next 7 days.
        public var licensesExpiringWithinWeek: Int64
        public var activeMachines: Int64
        /// Jobs due now and not taken (queued, run_at passed), and the oldest one's wait in seconds.
        public var jobsDue: Int64
        public var oldestDueJobSeconds: Double
        /// Jobs that used up their attempts.
        public var jobsDead: Int64
        /// Deliveries not yet ended (pending or being attempted), and the oldest one's age in seconds.
        public var webhookDeliveriesPending: Int64
        public var oldestPendingDeliverySeconds: Double
    }

    public func snapshot(now: Date) async throws -> Snapshot {
        let millis = now.epochMilliseconds
        var byStatus: [String: Int64] = ["active": 0, "expired": 0, "suspended": 0, "revoked": 0]
        for row in try await sql.query(
            """
            SELECT CASE WHEN state = 'active' AND expires_at IS NOT NULL AND expires_at <= ? THEN 'expired' ELSE state END AS status,
              COUNT(*) AS n FROM licenses GROUP BY 1
            """, [.integer(millis)])
        {
            if let status = row.string("status") { byStatus[status] = row.int("n") ?? 0 }
        }
        let expiring = try await sql.queryOne(
            "SELECT COUNT(*) AS n FROM licenses WHERE state = 'active' AND expires_at > ? AND expires_at <= ?",
            [.integer(millis), .integer(millis + 7 * 86_400_000)])?.int("n") ?? 0
        let machines = try await sql.queryOne("SELECT COUNT(*) AS n FROM machines WHERE state = 'active'", [])?.int("n") ?? 0
        let due = try await sql.queryOne(
            "SELECT COUNT(*) AS n, MIN(run_at) AS oldest FROM jobs WHERE state = 'queued' AND run_at <= ?", [.integer(millis)])
        let dead = try await sql.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE state = 'dead'", [])?.int("n") ?? 0
        let deliveries = try await sql.queryOne(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_deliveries WHERE state IN ('pending', 'delivering')", [])
        func age(_ oldest: Int64?) -> Double { oldest.map { max(0, Double(millis - $0) / 1000) } ?? 0 }
        return Snapshot(
            licensesByStatus: byStatus, licensesExpiringWithinWeek: expiring, activeMachines: machines,
            jobsDue: due?.int("n") ?? 0, oldestDueJobSeconds: age(due?.int("oldest")), jobsDead: dead,
            webhookDeliveriesPending: deliveries?.int("n") ?? 0, oldestPendingDeliverySeconds: age(deliveries?.int("oldest")))
    }
}
