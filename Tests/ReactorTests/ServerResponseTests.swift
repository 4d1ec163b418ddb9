import TestSupport
import Testing

@testable import Reactor

/// How responses reach the wire: HEAD framing, ordering of synchronous and asynchronous answers, and the
/// `HTTPResponder` contract (first call wins, late calls are harmless).
@Suite struct ServerResponseTests {
    /// HEAD gets the headers GET would, including GET's Content-Length, and no body; the next response on the
    /// connection starts cleanly right after.
    @Test func headHasGetsHeadersWithoutBody() throws {
        let handler = ScriptedHandler { _, responder in
            responder.respond(HTTPResponse(status: 200, contentType: "text/plain", body: Array("hello world".utf8)))
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.make("HEAD", "/doc") + RequestText.get("/doc"))
        let head = try client.readResponse(bodyless: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "11")
        #expect(head.header("Content-Type") == "text/plain")
        #expect(head.body.isEmpty)
        let get = try client.readResponse()
        #expect(get.header("Content-Length") == "11")
        #expect(get.bodyText == "hello world")
    }

    /// 204 and 304 leave without Content-Length and without the body a handler left in them; the next response on
    /// the connection is framed correctly after them.
    @Test func noContentAndNotModifiedHaveNoBody() throws {
        let handler = ScriptedHandler { request, responder in
            let status = request.head.pathEquals("/none") ? 204 : (request.head.pathEquals("/same") ? 304 : 200)
            responder.respond(
                HTTPResponse(status: status, headers: [(name: "ETag", value: "\"x\"")], body: Array("body".utf8)))
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/same") + RequestText.get("/none") + RequestText.get("/full"))
        let responses = try client.readResponses(3)
        #expect(responses.map(\.status) == [304, 204, 200])
        #expect(responses[0].header("Content-Length") == nil && responses[0].body.isEmpty)
        #expect(responses[0].header("ETag") == "\"x\"")
        #expect(responses[1].header("Content-Length") == nil && responses[1].body.isEmpty)
        #expect(responses[2].bodyText == "body")
    }

    /// Even ids answered inside `handle`, odd ids later from another thread: all arrive in request order.
    @Test func synchronousAndAsynchronousAnswersKeepOrder() throws {
        let handler = ScriptedHandler { request, responder in
            let id = Int(request.head.headers["X-Request-Id"] ?? "") ?? 0
            if id % 2 == 0 {
                responder.respond(ScriptedHandler.echo(request))
            } else {
                LateAnswers.shared.respond(
                    responder, with: ScriptedHandler.echo(request), after: .milliseconds(5 * (12 - id)))
            }
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send((0..<12).map { (id: Int) in RequestText.get("/mix", id: id) }.joined())
        let responses = try client.readResponses(12)
        #expect(responses.map { $0.header("X-Request-Id") } == (0..<12).map { (id: Int) in "\(id)" })
    }

    /// A second `respond` for the same request is ignored, whether it comes at once or later from another thread:
    /// exactly one response per request.
    @Test func secondRespondIsIgnored() throws {
        let held = HeldResponders()
        let handler = ScriptedHandler { request, responder in
            responder.respond(ScriptedHandler.echo(request))
            responder.respond(HTTPResponse(status: 500, body: Array("again".utf8)))
            held.keep(responder)
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        for id in 0..<3 {
            try client.send(RequestText.get("/once", id: id))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("X-Request-Id") == "\(id)")
            held.responder(id).respond(HTTPResponse(status: 500, body: Array("late".utf8)))
        }
        // Tasks run in submission order, so this round trip comes after the late duplicates were handled.
        _ = try server.stats
        try client.send(RequestText.get("/final", id: 9))
        let final = try client.readResponse()
        #expect(final.status == 200)
        #expect(final.header("X-Request-Id") == "9")
        #expect(!client.hasPendingInput)
    }

    /// A second `respond` while the first is still waiting behind an earlier request is ignored too.
    @Test func secondRespondWhileQueuedIsIgnored() throws {
        let held = HeldResponders()
        let server = try TestServer(handler: ScriptedHandler { _, responder in held.keep(responder) })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/a") + RequestText.get("/b"))
        #expect(try server.waitUntil { _ in held.count == 2 })
        held.responder(1).respond(HTTPResponse(status: 200, body: Array("b".utf8)))
        held.responder(1).respond(HTTPResponse(status: 500, body: Array("b again".utf8)))
        held.responder(0).respond(HTTPResponse(status: 200, body: Array("a".utf8)))
        let responses = try client.readResponses(2)
        #expect(responses.map(\.bodyText) == ["a", "b"])
        try client.send(RequestText.get("/c"))
        #expect(try server.waitUntil { _ in held.count == 3 })
        held.responder(2).respond(HTTPResponse(status: 200, body: Array("c".utf8)))
        #expect(try client.readResponse().bodyText == "c")
    }

    /// `respond` after the client went away (a FIN, or a reset) is ignored without harm, and the server goes on
    /// serving others.
    @Test(arguments: [false, true])
    func respondAfterClientLeftIsIgnored(reset: Bool) throws {
        let held = HeldResponders()
        let server = try TestServer(handler: ScriptedHandler { _, responder in held.keep(responder) })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/gone"))
        #expect(try server.waitUntil { _ in held.count == 1 })
        if reset { client.closeWithReset() } else { client.close() }
        if reset {
            #expect(try server.waitUntil { $0.openConnections == 0 })
        }
        held.responder(0).respond(HTTPResponse(status: 200))
        #expect(try server.waitUntil { $0.openConnections == 0 })
        held.responder(0).respond(HTTPResponse(status: 200))

        let next = try RawHTTPClient(port: server.port)
        try next.send(RequestText.get("/next"))
        #expect(try server.waitUntil { _ in held.count == 2 })
        held.responder(1).respond(HTTPResponse(status: 204))
        #expect(try next.readResponse().status == 204)
    }

    /// A client that resets while its `Connection: close` request is with the handler: the server notices the
    /// reset and closes at once, rather than keeping the dead socket until the handler answers.
    @Test func resetWhileHandlerWorksClosesAtOnce() throws {
        let held = HeldResponders()
        let server = try TestServer(handler: ScriptedHandler { _, responder in held.keep(responder) })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/gone", headers: ["Connection: close"]))
        #expect(try server.waitUntil { _ in held.count == 1 })
        client.closeWithReset()
        #expect(try server.waitUntil(limit: .seconds(5)) { $0.openConnections == 0 })
        held.responder(0).respond(HTTPResponse(status: 200))
    }
}
