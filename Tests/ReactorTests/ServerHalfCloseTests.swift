import TestSupport
import Testing

@testable import Reactor

/// A client that finishes sending (TCP FIN) may still read its answers.
@Suite struct ServerHalfCloseTests {
    /// A request followed by `shutdown(SHUT_WR)` is still answered, then the server closes: the handler answers at
    /// once, or later from another thread.
    @Test(arguments: [Duration.zero, .milliseconds(50)])
    func requestThenHalfCloseIsAnswered(handlerDelay: Duration) throws {
        let server = try TestServer(handler: ScriptedHandler.answeringLater { _ in handlerDelay })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/last", id: 1))
        client.shutdownWrite()
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("X-Request-Id") == "1")
        let end = client.readToEnd()
        #expect(end.ending == .eof)
        #expect(end.leftover.isEmpty)
        #expect(try server.waitUntil { $0.openConnections == 0 })
    }

    /// Several pipelined requests and then a FIN: every one is answered, in order, before the close.
    @Test func pipelinedRequestsThenHalfClose() throws {
        let server = try TestServer(handler: ScriptedHandler.answeringLater { _ in .milliseconds(10) })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send((1...3).map { (id: Int) in RequestText.get("/p", id: id) }.joined())
        client.shutdownWrite()
        let responses = try client.readResponses(3)
        #expect(responses.map { $0.header("X-Request-Id") } == ["1", "2", "3"])
        #expect(client.readToEnd().ending == .eof)
    }

    /// A FIN in the middle of a head: there is nothing to answer, and the server closes.
    @Test func halfCloseMidHeadCloses() throws {
        let handler = ScriptedHandler.echoing()
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send("GET /partial HTTP/1.1\r\nHost: te")
        client.shutdownWrite()
        let end = client.readToEnd()
        #expect(end.ending == .eof)
        #expect(end.leftover.isEmpty)
        #expect(handler.requestsHandled.load(ordering: .relaxed) == 0)
    }
}
