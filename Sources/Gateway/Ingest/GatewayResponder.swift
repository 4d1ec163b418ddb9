import Reactor

/// An `HTTPResponder` that also counts the response under its route, so every response the gateway sends is in
/// `gateway_http_requests_total`, whichever thread sends it. Telemetry responses also feed the latency histogram,
/// measured from the tick in which the request completed to the moment its answer is handed to the reactor.
struct GatewayResponder: Sendable {
    let responder: HTTPResponder
    let route: RouteLabel
    let metrics: GatewayMetrics
    let receivedAt: MonotonicInstant

    func respond(_ response: HTTPResponse) {
        metrics.countResponse(route: route, status: response.status)
        if route == .telemetry {
            let elapsed = SystemClock().now().nanoseconds(since: receivedAt)
            metrics.requestDuration.observe(Double(elapsed) / 1e9)
            metrics.latency.record(microseconds: Int(elapsed / 1000))
        }
        responder.respond(response)
    }
}
