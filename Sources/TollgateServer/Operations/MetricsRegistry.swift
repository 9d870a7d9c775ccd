import Metrics
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics, bootstrapped once.
enum MetricsRegistry {
    static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The exposition text.
    static func render() -> [UInt8] {
        var buffer: [UInt8] = []
        shared.emit(into: &buffer)
        return buffer
    }
}
