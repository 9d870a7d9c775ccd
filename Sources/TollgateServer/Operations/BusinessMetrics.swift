import Foundation
import Metrics
import Prometheus
import Synchronization
import TollgateDomain
import TollgateStore

/// The installation's state on `/metrics`, beside the counters each request and job keeps:
/// - `tollgate_licenses{status}`: active, expired, suspended, revoked;
///   `tollgate_licenses_expiring_7d`: active licenses that end within a week (not yet renewed);
/// - `tollgate_machines_active`;
/// - `tollgate_jobs_due` (queued and due, not yet taken), `tollgate_job_oldest_due_seconds`,
///   `tollgate_jobs_dead` (out of attempts);
/// - `tollgate_webhook_deliveries_pending`, `tollgate_webhook_oldest_pending_seconds`;
/// - `tollgate_database_up`: 1 when the last reading succeeded, 0 when the database did not answer.
///
/// Read from the database (every account) at a scrape when the last reading is older than
/// ``maxAge``, so that several Prometheus servers scraping several replicas cost a few aggregate
/// reads per replica every 10 s. Every replica reports the same installation-wide values.
final class BusinessMetrics: Sendable {
    static let maxAge: Duration = .seconds(10)
    let store: Store
    let clock: any TollgateClock
    private let lastReading = Mutex<ContinuousClock.Instant?>(nil)

    private let licenses: [String: Prometheus.Gauge]
    private let expiring: Prometheus.Gauge
    private let machines: Prometheus.Gauge
    private let jobsDue: Prometheus.Gauge
    private let oldestJob: Prometheus.Gauge
    private let jobsDead: Prometheus.Gauge
    private let deliveries: Prometheus.Gauge
    private let oldestDelivery: Prometheus.Gauge
    private let databaseUp: Prometheus.Gauge

    init(store: Store, clock: any TollgateClock, registry: PrometheusCollectorRegistry = MetricsRegistry.shared) {
        self.store = store
        self.clock = clock
        licenses = Dictionary(
            uniqueKeysWithValues: ["active", "expired", "suspended", "revoked"].map {
                ($0, registry.makeGauge(descriptor: Self.name("licenses", "Licenses by status, in every account."), labels: [("status", $0)]))
            })
        expiring = registry.makeGauge(descriptor: Self.name("licenses_expiring_7d", "Active licenses whose expiry falls within the next 7 days."))
        machines = registry.makeGauge(descriptor: Self.name("machines_active", "Active machines, in every account."))
        jobsDue = registry.makeGauge(descriptor: Self.name("jobs_due", "Background jobs due and not yet taken by a replica."))
        oldestJob = registry.makeGauge(descriptor: Self.name("job_oldest_due_seconds", "How long the oldest due job has waited."))
        jobsDead = registry.makeGauge(descriptor: Self.name("jobs_dead", "Jobs that used up their attempts."))
        deliveries = registry.makeGauge(descriptor: Self.name("webhook_deliveries_pending", "Webhook deliveries not yet ended."))
        oldestDelivery = registry.makeGauge(descriptor: Self.name("webhook_oldest_pending_seconds", "Age of the oldest webhook delivery not yet ended."))
        databaseUp = registry.makeGauge(descriptor: Self.name("database_up", "1 when the database answered the last reading, else 0."))
        // The counters that requests and deliveries keep, made now at 0 so that every series the
        // alert rules and the dashboard name exists from the first scrape.
        _ = LicenseValidationService.counters
        _ = UsageController.counters
        _ = TokenRefusalLog.counters
        for outcome in ["sent", "failed", "not_sent"] { _ = Counter(label: "tollgate_notifications_total", dimensions: [("outcome", outcome)]) }
        for outcome in ["succeeded", "retrying", "given_up"] { _ = Counter(label: "tollgate_webhook_deliveries_total", dimensions: [("outcome", outcome)]) }
    }

    /// `tollgate_<name>`, with its help text.
    static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tollgate", metricName: name, unitName: "", helpText: help)
    }

    /// Reads the database again if the last reading is older than ``maxAge`` (one caller at a time
    /// does; the others render what is there).
    func refresh() async {
        let now = ContinuousClock.now
        let due = lastReading.withLock { last -> Bool in
            if let last, now - last < Self.maxAge { return false }
            last = now
            return true
        }
        guard due else { return }
        let at = clock.now()
        do {
            let reading = try await store.read { try await $0.operations.snapshot(now: at) }
            for (status, gauge) in licenses { gauge.set(Double(reading.licensesByStatus[status] ?? 0)) }
            expiring.set(Double(reading.licensesExpiringWithinWeek))
            machines.set(Double(reading.activeMachines))
            jobsDue.set(Double(reading.jobsDue))
            oldestJob.set(reading.oldestDueJobSeconds)
            jobsDead.set(Double(reading.jobsDead))
            deliveries.set(Double(reading.webhookDeliveriesPending))
            oldestDelivery.set(reading.oldestPendingDeliverySeconds)
            databaseUp.set(1.0)
        } catch {
            databaseUp.set(0.0)
            // Try again at the next scrape rather than in 10 s.
            lastReading.withLock { $0 = nil }
        }
    }
}
