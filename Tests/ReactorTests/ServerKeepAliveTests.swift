import TestSupport
import Testing

@testable import Reactor

/// Persistent connections: when the server keeps a connection open, and how it says so.
@Suite struct ServerKeepAliveTests {
    /// Several requests answered one after another on one HTTP/1.1 connection, which stays open between them.
    @Test func sequentialRequestsShareOneConnection() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        for id in 0..<5 {
            try client.send(RequestText.get("/item/\(id)", id: id))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("X-Request-Id") == "\(id)")
            #expect(response.bodyText == "GET /item/\(id)")
            #expect(response.header("Connection") == nil)
        }
        #expect(try server.stats.accepted == 1)
        #expect(try server.stats.requests == 5)
    }

    /// `Connection: close` from the client: the response says `Connection: close` and the server closes after it.
    @Test func connectionCloseIsHonoured() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/bye", id: 1, headers: ["Connection: close"]))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.closesConnection)
        let end = client.readToEnd()
        #expect(end.ending == .eof)
        #expect(end.leftover.isEmpty)
    }

    /// An HTTP/1.0 request without `Connection: keep-alive` is the last one: `Connection: close`, then EOF.
    @Test func http10ClosesByDefault() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.make("GET", "/old", version: "HTTP/1.0"))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.closesConnection)
        #expect(client.readToEnd().ending == .eof)
    }

    /// HTTP/1.0 with `Connection: keep-alive`: the response confirms keep-alive and a second request is served.
    @Test func http10KeepAliveStaysOpen() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        for id in 0..<2 {
            try client.send(
                RequestText.make("GET", "/old", version: "HTTP/1.0", id: id, headers: ["Connection: keep-alive"]))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "keep-alive")
            #expect(response.header("X-Request-Id") == "\(id)")
        }
        #expect(try server.stats.accepted == 1)
    }

    /// A handler that sets `closeConnection` ends the connection after its response, with `Connection: close`.
    @Test func handlerCanCloseTheConnection() throws {
        let handler = ScriptedHandler { _, responder in
            responder.respond(HTTPResponse(status: 200, body: Array("last".utf8), closeConnection: true))
        }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/"))
        let response = try client.readResponse()
        #expect(response.closesConnection)
        #expect(response.bodyText == "last")
        #expect(client.readToEnd().ending == .eof)
    }
}
