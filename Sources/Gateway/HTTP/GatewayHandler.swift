import Reactor
import RespClient

/// Routes requests and answers everything that does not need Redis on the reactor thread; telemetry is admitted
/// (or refused with 503 at once) and handed to the consumers.
final class GatewayHandler: HTTPHandler {
    private let context: IngestContext
    private let metrics: GatewayMetrics
    private let dispatcher: IngestDispatcher
    private let state: GatewayState
    private let pages: StatusPages
    /// The bearer token `POST /start` and `/stop` require; nil refuses both.
    private let adminToken: String?

    init(
        context: IngestContext, dispatcher: IngestDispatcher, state: GatewayState, pages: StatusPages,
        adminToken: String?
    ) {
        self.context = context
        self.metrics = context.metrics
        self.dispatcher = dispatcher
        self.state = state
        self.pages = pages
        self.adminToken = adminToken
    }

    // MARK: HTTPHandler

    /// Requests that need no body to be answered (wrong route, wrong media type, stopped, overloaded) are answered
    /// here when the client is waiting on `Expect: 100-continue` or sent no body: the body is never transferred.
    func respondBeforeBody(to head: HTTPRequestHead) -> HTTPResponse? {
        guard head.expectsContinue || head.framing == .none else { return nil }
        switch Route.resolve(head) {
        case .failure(let failure):
            metrics.countResponse(route: failure.label, status: failure.response.status)
            return failure.response
        case .success(.telemetry):
            guard let refusal = telemetryRefusalBeforeBody(head) else { return nil }
            metrics.countResponse(route: .telemetry, status: refusal.response.status)
            metrics.countRejected(refusal.reason, events: 1)
            return refusal.response
        case .success:
            return nil
        }
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        context.stalls.requestReceived(firstByteAt: request.firstByteAt, parsedAt: request.receivedAt)
        switch Route.resolve(request.head) {
        case .failure(let failure):
            GatewayResponder(
                responder: responder, route: failure.label, metrics: metrics, receivedAt: request.receivedAt
            )
            .respond(failure.response)
        case .success(let route):
            let responder = GatewayResponder(
                responder: responder, route: route.label, metrics: metrics, receivedAt: request.receivedAt)
            switch route {
            case .telemetry: ingest(request, responder)
            case .health: responder.respond(pages.health())
            case .ready: responder.respond(pages.ready())
            case .status: responder.respond(pages.status())
            case .metrics: responder.respond(pages.metrics(json: acceptsJSON(request.head)))
            case .start, .stop: responder.respond(control(route, request.head))
            case .console:
                responder.respond(ConsoleSite.shared.response(to: request.head) ?? Responses.error(404, "no such file"))
            }
        }
    }

    /// The JSON error body; the server adds the status, `Retry-After` and the close (see `HTTPHandler`).
    func errorResponse(for error: HTTPServerError) -> HTTPResponse {
        metrics.countResponse(route: .rejected, status: error.status)
        if error == .malformedRequest(.bodyTooLarge) { metrics.countRejected(.tooLarge, events: 1) }
        return Responses.error(error.status, error.reason)
    }

    // MARK: Telemetry

    private struct Refusal {
        let reason: RejectReason
        let response: HTTPResponse
    }

    private func telemetryRefusalBeforeBody(_ head: HTTPRequestHead) -> Refusal? {
        switch BodyFormat.of(head) {
        case .success:
            break
        case .failure(.mediaType):
            return Refusal(
                reason: .unsupportedMediaType,
                response: Responses.error(
                    415, "Content-Type must be application/json, application/x-protobuf or application/protobuf"))
        case .failure(.coding):
            return Refusal(
                reason: .unsupportedMediaType,
                response: Responses.error(
                    415, "Content-Encoding must be gzip, deflate or identity",
                    headers: [(name: "Accept-Encoding", value: BodyFormat.acceptEncoding)]))
        }
        if !state.isRunning {
            return Refusal(
                reason: .stopped, response: Responses.unavailable("ingestion is stopped", retryAfterSeconds: 5))
        }
        if !context.redis.isUp && context.spool == nil {
            return Refusal(reason: .redisUnavailable, response: Responses.unavailable("redis unavailable"))
        }
        return nil
    }

    private func ingest(_ request: HTTPRequest, _ responder: GatewayResponder) {
        if let refusal = telemetryRefusalBeforeBody(request.head) {
            metrics.countRejected(refusal.reason, events: 1)
            responder.respond(refusal.response)
            return
        }
        let format = (try? BodyFormat.of(request.head).get()) ?? .json
        guard !request.body.isEmpty else {
            metrics.countRejected(.invalid, events: 1)
            let expected =
                format.media == BodyFormat.MediaType.json ? "a JSON object or array of objects" : "a TelemetryBatch"
            responder.respond(Responses.error(400, "body: empty; expected \(expected)"))
            return
        }
        // A body that is not an array is one event. The prescan (array length, all-HIGH) costs ~2,000 instructions
        // on this thread, so it runs only for arrays, or when the shared part of the queue is full and the HIGH
        // reserve could still admit the request. A protobuf body's samples are counted by stepping over each by its
        // length (`ProtobufPrescan`, ~90 instructions per sample). A compressed body is admitted as one event:
        // inflating it here would stall every connection, so the consumer reserves the rest once it knows the
        // count, before anything reaches Redis (`Admission.settle`).
        var prescan: TelemetryPrescan.Result?
        var eventCount = 1
        if format == .json && Self.firstSignificantByte(request.body) != UInt8(ascii: "{") {
            let result = request.body.withUnsafeBytes { TelemetryPrescan.scan($0) }
            prescan = result
            eventCount = max(1, result.eventCount)
        } else if format == BodyFormat(media: .protobuf, coding: .identity) {
            eventCount = request.body.withUnsafeBytes { ProtobufPrescan.sampleCount($0) }
        }
        var admitted = context.admission.admit(events: eventCount, highPriority: false)
        if !admitted && format == .json {
            let result = prescan ?? request.body.withUnsafeBytes { TelemetryPrescan.scan($0) }
            admitted = result.allHigh && context.admission.admit(events: eventCount, highPriority: true)
        } else if !admitted && format == BodyFormat(media: .protobuf, coding: .identity) {
            admitted =
                request.body.withUnsafeBytes { ProtobufPrescan.allHigh($0) }
                && context.admission.admit(events: eventCount, highPriority: true)
        }
        guard admitted else {
            metrics.countRejected(.queueFull, events: eventCount)
            responder.respond(Responses.unavailable("queue full"))
            return
        }
        dispatcher.enqueue(
            IngestJob(
                body: request.body, responder: responder, admittedEvents: eventCount,
                receivedAtMilliseconds: wallClockMilliseconds(), admittedAt: request.receivedAt, format: format))
    }

    /// The first byte that is not JSON whitespace, nil for an all-whitespace body.
    private static func firstSignificantByte(_ body: [UInt8]) -> UInt8? {
        body.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
    }

    private func acceptsJSON(_ head: HTTPRequestHead) -> Bool {
        head.headers["accept"]?.lowercased().contains("application/json") ?? false
    }

    // MARK: Control

    private func control(_ route: Route, _ head: HTTPRequestHead) -> HTTPResponse {
        guard let expected = adminToken else {
            return Responses.error(
                403, "no admin token is configured; start the gateway with --admin-token to enable /start and /stop")
        }
        guard let authorization = head.headers["authorization"] else {
            return Responses.error(
                401, "missing Authorization: Bearer <admin token>",
                headers: [(name: "WWW-Authenticate", value: "Bearer")])
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return Responses.error(
                401, "Authorization must use the Bearer scheme",
                headers: [(name: "WWW-Authenticate", value: "Bearer")])
        }
        guard constantTimeEquals(Array(parts[1].utf8), Array(expected.utf8)) else {
            return Responses.error(403, "wrong admin token")
        }
        let running = route == .start
        state.setRunning(running)
        return Responses.json(200) { writer in
            writer.field("ok", true)
            writer.field("state", running ? "running" : "stopped")
        }
    }

    /// Compares every byte whatever the first difference, so response timing does not leak the token's prefix.
    private func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
