import Gateway
import Reactor

/// `/health` (the process runs), `/ready` (Redis and InfluxDB answer) and `/metrics` (Prometheus text).
final class ProcessorHTTPHandler: HTTPHandler {
    let processor: Processor

    init(processor: Processor) {
        self.processor = processor
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        guard request.method == .get || request.method == .head else {
            responder.respond(
                HTTPResponse(
                    status: 405, contentType: "text/plain", headers: [("Allow", "GET, HEAD")],
                    body: Array("method not allowed\n".utf8)))
            return
        }
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        switch path {
        case "/health":
            responder.respond(json(200, "{\"status\":\"ok\"}"))
        case "/ready":
            let redis = processor.redisUp
            let sink = processor.sinkUp
            let body =
                "{\"ready\":\(redis && sink),\"redis\":\"\(redis ? "up" : "down")\",\"influxdb\":\"\(sink ? "up" : "down")\"}"
            responder.respond(json(redis && sink ? 200 : 503, body))
        case "/metrics":
            let uptime = Double(wallClockMilliseconds() - processor.startedAt) / 1000
            let text = processor.metrics.prometheusText(
                redisUp: processor.redisUp, redisReconnects: processor.commands.status.reconnects, uptimeSeconds: uptime
            )
            responder.respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4", body: text))
        default:
            responder.respond(HTTPResponse(status: 404, contentType: "text/plain", body: Array("not found\n".utf8)))
        }
    }

    private func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: Array((body + "\n").utf8))
    }
}
