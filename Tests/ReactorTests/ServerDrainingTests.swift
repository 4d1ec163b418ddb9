import Glibc
import TestSupport
import Testing

@testable import Reactor

/// `beginDraining()`: stop accepting, close what is idle, let what is busy finish.
@Suite struct ServerDrainingTests {
    /// Idle connections close at once, a request in flight is answered with `Connection: close` before its
    /// connection closes, and new connections are refused because the listener is gone.
    @Test func drainingFinishesBusyAndClosesIdle() throws {
        let held = HeldResponders()
        let handler = ScriptedHandler { request, responder in
            if request.head.pathEquals("/slow") {
                held.keep(responder)
            } else {
                responder.respond(ScriptedHandler.echo(request))
            }
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let idle = try RawHTTPClient(port: server.port)
        try idle.send(RequestText.get("/quick"))
        #expect(try idle.readResponse().status == 200)
        let silent = try RawHTTPClient(port: server.port)
        let busy = try RawHTTPClient(port: server.port)
        try busy.send(RequestText.get("/slow", id: 1))
        #expect(try server.waitUntil { _ in held.count == 1 })
        #expect(try server.openConnections == 3)

        try server.onLoop { $0.beginDraining() }

        #expect(idle.readToEnd() == (.eof, []))
        #expect(silent.readToEnd() == (.eof, []))
        #expect(try server.openConnections == 1)
        #expect(throws: RawHTTPClient.Failure.connect(errno: ECONNREFUSED)) { try RawHTTPClient(port: server.port) }

        held.responder(0).respond(HTTPResponse(status: 200, body: Array("done".utf8)))
        let response = try busy.readResponse()
        #expect(response.bodyText == "done")
        #expect(response.closesConnection)
        #expect(busy.readToEnd().ending == .eof)
        #expect(try server.waitUntil { $0.openConnections == 0 })
    }

    /// A request whose body is still arriving when draining starts is completed, answered with `Connection: close`,
    /// and then the connection closes.
    @Test func drainingLetsABodyInProgressFinish() throws {
        let handler = ScriptedHandler.echoing()
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nabc")
        #expect(try server.waitUntil { _ in handler.headsSeen.load(ordering: .relaxed) == 1 })
        try server.onLoop { $0.beginDraining() }
        try client.send("def")
        let response = try client.readResponse()
        #expect(response.bodyText == "POST /upload abcdef")
        #expect(response.closesConnection)
        #expect(client.readToEnd().ending == .eof)
    }

    /// Pipelined requests already with the handler when draining starts are all answered, in order; only the
    /// last response carries `Connection: close`, and the connection closes after it.
    @Test func drainingAnswersEveryRequestInFlight() throws {
        let held = HeldResponders()
        let server = try TestServer(handler: ScriptedHandler { _, responder in held.keep(responder) })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/a") + RequestText.get("/b"))
        #expect(try server.waitUntil { _ in held.count == 2 })
        try server.onLoop { $0.beginDraining() }
        held.responder(0).respond(HTTPResponse(status: 200, body: Array("a".utf8)))
        held.responder(1).respond(HTTPResponse(status: 200, body: Array("b".utf8)))
        let responses = try client.readResponses(2)
        #expect(responses.map(\.bodyText) == ["a", "b"])
        #expect(responses.map(\.closesConnection) == [false, true])
        #expect(client.readToEnd() == (.eof, []))
    }
}
