import Hummingbird
import Metrics

/// Counts requests by method, route and status (`tollgate_http_requests_total`) and times
/// them (`tollgate_http_request_duration_seconds`), labelled by the route pattern, not the
/// raw path, so that ids do not explode the label set.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        let method = request.method.rawValue
        Counter(label: "tollgate_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(response.status.code))])
            .increment()
        Timer(label: "tollgate_http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            .recordInterval(since: start)
        return response
    }
}

extension Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
