import CarecronStorage
import Foundation
import Metrics
import Prometheus

/// The service's metrics, in Prometheus format at /metrics.
public enum Metrics {
    nonisolated(unsafe) private static var registry: PrometheusCollectorRegistry?

    /// Installs the Prometheus factory once per process.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        if let r = registry { return r }
        let r = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: r))
        registry = r
        return r
    }

    public static func emit() -> String {
        var buffer = [UInt8]()
        registry?.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    static func backlog(_ counts: [OutboxState: Int]) {
        for state in OutboxState.allCases {
            Gauge(label: "carecron_outbox_messages", dimensions: [("state", state.rawValue)]).record(counts[state] ?? 0)
        }
    }
}
