import Glibc
import TestSupport
import Testing

@testable import Reactor

/// Phase deadlines: the head, the body and the idle wait are bounded; waiting for our own handler is not.
///
/// Timeouts are 0.3 s so the suite stays fast. The assertions are about what happened (which timeout closed the
/// connection, what the client saw), never about how long it took.
@Suite struct ServerTimeoutTests {
    static let short = HTTPServerConfiguration(
        headerTimeout: .milliseconds(300), bodyTimeout: .milliseconds(300), idleTimeout: .milliseconds(300))

    /// A connection that sends nothing is closed by the header timeout, with a 408 at most.
    @Test func silentConnectionHitsHeaderTimeout() throws {
        let server = try TestServer(Self.short, handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try expectTimedOutWith408(client)
        #expect(try server.waitUntil { $0.openConnections == 0 })
        #expect(try server.stats.headerTimeouts == 1)
    }

    /// A slowloris sending a byte every 100 ms, never finishing the head, is cut off by the header timeout even
    /// though bytes keep arriving.
    @Test func slowlorisHitsHeaderTimeout() throws {
        let server = try TestServer(Self.short, handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        let endless = Array("GET /\(String(repeating: "a", count: 200)) HTTP/1.1\r\n".utf8)
        var sent = 0
        while sent < endless.count && !client.hasPendingInput {
            do {
                try client.send([endless[sent]])
            } catch {
                break  // the server closed first
            }
            sent += 1
            var probe = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&probe, 1, 100)
        }
        #expect(sent < endless.count, "the server let a head trickle in for \(sent) bytes")
        try expectTimedOutWith408(client)
        #expect(try server.stats.headerTimeouts == 1)
    }

    /// A head whose announced body never fully arrives is cut off by the body timeout.
    @Test func stalledBodyHitsBodyTimeout() throws {
        let handler = ScriptedHandler.echoing()
        let server = try TestServer(Self.short, handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send("POST /slow HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc")
        try expectTimedOutWith408(client)
        #expect(try server.stats.bodyTimeouts == 1)
        #expect(handler.requestsHandled.load(ordering: .relaxed) == 0)
    }

    /// After a completed request, a keep-alive connection with nothing more to do is closed by the idle timeout,
    /// silently.
    @Test func idleKeepAliveHitsIdleTimeout() throws {
        let server = try TestServer(Self.short, handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/once"))
        #expect(try client.readResponse().status == 200)
        let end = client.readToEnd()
        #expect(end.ending == .eof)
        #expect(end.leftover.isEmpty)
        let stats = try server.stats
        #expect(stats.idleTimeouts == 1)
        #expect(stats.headerTimeouts == 0)
    }

    /// A handler that takes longer than every timeout does not get its connection closed under it; the response
    /// arrives and the connection remains usable.
    @Test func slowHandlerIsNotATimeout() throws {
        let handler = ScriptedHandler.answeringLater { _ in .milliseconds(800) }
        let server = try TestServer(Self.short, handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/slow", id: 1))
        #expect(try client.readResponse().header("X-Request-Id") == "1")
        try client.send(RequestText.get("/fast", id: 2))
        #expect(try client.readResponse().header("X-Request-Id") == "2")
        let stats = try server.stats
        #expect(stats.headerTimeouts + stats.bodyTimeouts + stats.idleTimeouts == 0)
    }

    /// Pipelined requests held back by `maxPipelinedRequests` while a slow handler works are not a slow head: the
    /// header timeout must not fire on bytes the server itself chose not to read yet.
    @Test func requestsHeldBackForASlowHandlerAreNotASlowHead() throws {
        var configuration = Self.short
        configuration.maxPipelinedRequests = 1
        let handler = ScriptedHandler.answeringLater { _ in .milliseconds(500) }
        let server = try TestServer(configuration, handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send((1...3).map { (id: Int) in RequestText.get("/slow", id: id) }.joined())
        let responses = try client.readResponses(3)
        #expect(responses.map { $0.header("X-Request-Id") } == ["1", "2", "3"])
        #expect(try server.stats.headerTimeouts == 0)
    }

    /// A next head that stalls while a slow handler works times out, but the complete request before it is still
    /// answered: its response, then the 408, then close.
    @Test func stalledNextHeadStillGetsEarlierResponse() throws {
        let handler = ScriptedHandler.answeringLater { _ in .milliseconds(600) }
        let server = try TestServer(Self.short, handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/slow", id: 1) + "GET /next HT")
        let first = try client.readResponse()
        #expect(first.status == 200)
        #expect(first.header("X-Request-Id") == "1")
        let timeout = try client.readResponse()
        #expect(timeout.status == 408)
        #expect(timeout.closesConnection)
        #expect(client.readToEnd().ending == .eof)
        #expect(try server.stats.headerTimeouts == 1)
    }

    /// 408, if anything arrives, then EOF.
    private func expectTimedOutWith408(
        _ client: RawHTTPClient, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let end = client.readToEnd()
        #expect(end.ending == .eof, sourceLocation: sourceLocation)
        if !end.leftover.isEmpty {
            let text = String(decoding: end.leftover, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 408 "), "\(text)", sourceLocation: sourceLocation)
            #expect(text.contains("\r\nConnection: close\r\n"), sourceLocation: sourceLocation)
        }
    }
}
