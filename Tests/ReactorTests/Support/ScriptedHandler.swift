import Synchronization

@testable import Reactor

/// A handler whose behaviour each test spells out in closures. The server calls it on the loop thread only; the
/// counters may be read from the test thread.
final class ScriptedHandler: HTTPHandler, @unchecked Sendable {
    private let onRequest: (HTTPRequest, HTTPResponder) -> Void
    private let onHead: (HTTPRequestHead) -> HTTPResponse?
    /// Complete requests handed to `handle`.
    let requestsHandled = Atomic<Int>(0)
    /// Heads shown to `respondBeforeBody`, which the server calls as soon as a head is parsed.
    let headsSeen = Atomic<Int>(0)

    init(
        onHead: @escaping (HTTPRequestHead) -> HTTPResponse? = { _ in nil },
        onRequest: @escaping (HTTPRequest, HTTPResponder) -> Void
    ) {
        self.onHead = onHead
        self.onRequest = onRequest
    }

    /// Answers every request at once with `echo`.
    static func echoing() -> ScriptedHandler {
        ScriptedHandler { request, responder in responder.respond(echo(request)) }
    }

    /// Answers every request from another thread after `delay(request)`.
    static func answeringLater(delay: @escaping (HTTPRequest) -> Duration) -> ScriptedHandler {
        ScriptedHandler { request, responder in
            LateAnswers.shared.respond(responder, with: echo(request), after: delay(request))
        }
    }

    /// 200 with the request's id echoed in `X-Request-Id`, and a body naming the request: `GET /path` plus the
    /// request body after a space when there is one.
    static func echo(_ request: HTTPRequest) -> HTTPResponse {
        var body = Array("\(request.method) \(request.path)".utf8)
        if !request.body.isEmpty {
            body.append(0x20)
            body.append(contentsOf: request.body)
        }
        var headers: [(name: String, value: String)] = []
        if let id = request.head.headers["X-Request-Id"] { headers.append((name: "X-Request-Id", value: id)) }
        return HTTPResponse(status: 200, contentType: "text/plain", headers: headers, body: body)
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        requestsHandled.add(1, ordering: .relaxed)
        onRequest(request, responder)
    }

    func respondBeforeBody(to head: HTTPRequestHead) -> HTTPResponse? {
        headsSeen.add(1, ordering: .relaxed)
        return onHead(head)
    }

    /// Distinct from the protocol's default so tests can tell the handler's text reached the wire.
    func errorResponse(for error: HTTPServerError) -> HTTPResponse {
        HTTPResponse(status: error.status, contentType: "text/plain", body: Array("refused: \(error.reason)".utf8))
    }
}
