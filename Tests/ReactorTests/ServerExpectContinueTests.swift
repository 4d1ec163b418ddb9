import TestSupport
import Testing

@testable import Reactor

/// `Expect: 100-continue`, and refusing a body before the client sends it.
@Suite struct ServerExpectContinueTests {
    static let continueHead =
        "POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"

    /// The client gets `100 Continue` for the head alone, sends the body, and then gets the final response.
    @Test func continueThenFinalResponse() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(Self.continueHead)
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        #expect(interim.headers.isEmpty)
        try client.send("hello")
        let final = try client.readResponse()
        #expect(final.status == 200)
        #expect(final.bodyText == "POST /upload hello")
        // Still a persistent connection.
        try client.send(RequestText.get("/next", id: 2))
        #expect(try client.readResponse().header("X-Request-Id") == "2")
    }

    /// A 100-continue request pipelined behind one still with the handler gets its `100 Continue` as soon as the
    /// earlier response has gone out, not never: the client is waiting for it before sending the body.
    @Test func continueBehindAPendingResponse() throws {
        let held = HeldResponders()
        let handler = ScriptedHandler { request, responder in
            if request.method == .get { held.keep(responder) } else { responder.respond(ScriptedHandler.echo(request)) }
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port, timeout: .seconds(3))
        try client.send(RequestText.get("/first", id: 1) + Self.continueHead)
        #expect(try server.waitUntil { _ in held.count == 1 })
        held.responder(0).respond(HTTPResponse(status: 200, body: Array("first".utf8)))
        #expect(try client.readResponse().bodyText == "first")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("hello")
        #expect(try client.readResponse().bodyText == "POST /upload hello")
    }

    /// A request that does not expect 100 never gets one, even when it follows one that did.
    @Test func noContinueForARequestThatDidNotAskForIt() throws {
        let server = try TestServer(handler: ScriptedHandler.answeringLater { _ in .milliseconds(20) })
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(
            RequestText.get("/first", id: 1) + Self.continueHead + "hello"
                + RequestText.make("POST", "/plain", id: 3, body: "abc"))
        let statuses = try client.readResponses(3).map(\.status)
        #expect(statuses == [200, 200, 200])
        try client.send(RequestText.get("/last", id: 4))
        #expect(try client.readResponse().header("X-Request-Id") == "4")
    }

    /// A handler that refuses from the head: its 4xx goes out without a 100, the body is never read, the
    /// connection closes, and `handle` is never called.
    @Test func refusalFromTheHeadSkipsContinue() throws {
        let handler = ScriptedHandler(
            onHead: { _ in HTTPResponse(status: 403, contentType: "text/plain", body: Array("no".utf8)) },
            onRequest: { request, responder in responder.respond(ScriptedHandler.echo(request)) })
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(Self.continueHead)
        let response = try client.readResponse()
        #expect(response.status == 403)
        #expect(response.bodyText == "no")
        #expect(response.closesConnection)
        let end = client.readToEnd()
        #expect(end.ending == .eof)
        #expect(end.leftover.isEmpty)
        #expect(handler.requestsHandled.load(ordering: .relaxed) == 0)
    }

    /// A refusal from the head for a request without a body keeps the connection: nothing is left unread.
    @Test func refusalWithoutBodyKeepsConnection() throws {
        let handler = ScriptedHandler(
            onHead: { head in head.pathEquals("/forbidden") ? HTTPResponse(status: 403) : nil },
            onRequest: { request, responder in responder.respond(ScriptedHandler.echo(request)) })
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/forbidden") + RequestText.get("/open", id: 7))
        let responses = try client.readResponses(2)
        #expect(responses.map(\.status) == [403, 200])
        #expect(responses[1].header("X-Request-Id") == "7")
        #expect(!responses[0].closesConnection)
    }

    /// A Content-Length above `maxBodyBytes` is refused with 413 as soon as the head arrives: no 100, no body
    /// needed, then close.
    @Test func oversizedBodyRefusedBeforeItIsSent() throws {
        let server = try TestServer(.init(limits: .init(maxBodyBytes: 1024)), handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /upload HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.bodyText == "refused: body too large")
        #expect(response.closesConnection)
        #expect(client.readToEnd().ending == .eof)
        #expect(try server.stats.rejectedByStatus[413] == 1)
    }

    /// A client that sends an oversized body without waiting: its write completes rather than failing with a
    /// reset, it then reads the 413, and sees an orderly EOF; the server closes once the client does.
    @Test(arguments: [64 * 1024, 4 * 1024 * 1024])
    func oversizedBodySentAnywayStillGets413(bodyBytes: Int) throws {
        let server = try TestServer(.init(limits: .init(maxBodyBytes: 1024)), handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        let head = "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: \(bodyBytes)\r\n\r\n"
        try client.send(Array(head.utf8) + [UInt8](repeating: 0x61, count: bodyBytes))
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.closesConnection)
        #expect(client.readToEnd() == (.eof, []))
        client.close()
        #expect(try server.waitUntil { $0.openConnections == 0 })
    }
}
