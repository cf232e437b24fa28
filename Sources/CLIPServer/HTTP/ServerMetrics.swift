import CLIPSearch
import Foundation
import Hummingbird
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`): requests by route and status, latency,
/// forward-pass batch sizes and times, queue depth and index sizes. One registry per server, so
/// that servers in one process (tests) keep their own counts.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                             .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
                                             .seconds(5), .seconds(10), .seconds(30)]
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    private static var requests: MetricNameDescriptor {
        .init(namespace: "clip", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route, method and status")
    }
    private static var latency: MetricNameDescriptor {
        .init(namespace: "clip", metricName: "http_request_duration", unitName: "seconds", helpText: "Time from request to response head, by route")
    }
    private static var batchSize: MetricNameDescriptor {
        .init(namespace: "clip", metricName: "inference_batch_size", unitName: "", helpText: "Inputs per forward pass")
    }
    private static var batchTime: MetricNameDescriptor {
        .init(namespace: "clip", metricName: "inference_batch_duration", unitName: "seconds", helpText: "Time of one forward pass")
    }
    private static var queueDepth: MetricNameDescriptor {
        .init(namespace: "clip", metricName: "inference_queue_depth", unitName: "", helpText: "Inputs waiting for a forward pass")
    }
    private static var indexFiles: MetricNameDescriptor {
        .init(namespace: "clip", metricName: "index_files", unitName: "", helpText: "Files an index holds")
    }

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets).record(duration)
    }

    func recordBatch(model: String, _ batch: InferenceEngine.BatchRecord) {
        let labels = [("model", model), ("tower", batch.tower)]
        registry.makeValueHistogram(descriptor: Self.batchSize, labels: labels, buckets: Self.batchBuckets).record(Double(batch.size))
        registry.makeDurationHistogram(descriptor: Self.batchTime, labels: labels, buckets: Self.latencyBuckets).record(batch.duration)
    }

    /// The metrics in Prometheus' text format, with the gauges read now.
    func exposition(models: [ServedModel], indexes: [ServedIndex]) -> String {
        for model in models {
            registry.makeGauge(descriptor: Self.queueDepth, labels: [("model", model.id)])
                .set(Double(model.engine.queueDepth))
        }
        for served in indexes {
            if let counts = try? served.index.fileCounts() {
                registry.makeGauge(descriptor: Self.indexFiles, labels: [("index", served.name)]).set(Double(counts.files))
            }
        }
        return registry.emitToString()
    }
}

/// Times every request and counts it by its route's pattern (not the raw path, so that ids and
/// unknown paths do not create a series each).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
                              duration: ContinuousClock.now - started)
        return response
    }
}
