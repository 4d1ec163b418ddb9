import Glibc
import TestSupport
import Testing

@testable import Reactor

/// Requests the parser refuses: the handler's error response goes out in order, then the connection closes.
@Suite struct ServerMalformedRequestTests {
    static let duplicateLength = "POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"

    /// A refused request, the status it earns, and the reason the handler's `errorResponse` puts in the body.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let label: String
        let request: String
        let status: Int
        let reason: String
        var testDescription: String { label }
    }

    static let refusals: [Refusal] = [
        Refusal(
            label: "two Content-Length headers", request: duplicateLength, status: 400,
            reason: "duplicate Content-Length"),
        Refusal(label: "missing Host", request: "GET / HTTP/1.1\r\n\r\n", status: 400, reason: "missing Host header"),
        Refusal(label: "bare LF", request: "GET / HTTP/1.1\nHost: test\n\n", status: 400, reason: "bare LF"),
        Refusal(
            label: "HTTP/2.0 request line", request: "GET / HTTP/2.0\r\nHost: test\r\n\r\n", status: 505,
            reason: "HTTP version not supported"),
        Refusal(
            label: "unknown transfer coding",
            request: "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n",
            status: 501, reason: "unsupported Transfer-Encoding"),
    ]

    /// Each refusal: the status, the handler's body, `Connection: close`, then EOF; the handler never sees it.
    @Test(arguments: refusals)
    func refusedWithHandlersErrorResponse(_ refusal: Refusal) throws {
        let handler = ScriptedHandler.echoing()
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(refusal.request)
        let response = try client.readResponse()
        #expect(response.status == refusal.status)
        #expect(response.bodyText == "refused: \(refusal.reason)")
        #expect(response.closesConnection)
        let end = client.readToEnd()
        #expect(end.ending == .eof)
        #expect(end.leftover.isEmpty)
        #expect(handler.requestsHandled.load(ordering: .relaxed) == 0)
        #expect(try server.stats.rejectedByStatus[refusal.status] == 1)
    }

    /// A malformed request pipelined after a good one: the good response first, then the 400, then close.
    @Test(arguments: [Duration.zero, .milliseconds(20)])
    func malformedAfterGoodRequestKeepsOrder(handlerDelay: Duration) throws {
        let handler = ScriptedHandler.answeringLater { _ in handlerDelay }
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(RequestText.get("/good", id: 1) + Self.duplicateLength)
        let good = try client.readResponse()
        #expect(good.status == 200)
        #expect(good.header("X-Request-Id") == "1")
        let bad = try client.readResponse()
        #expect(bad.status == 400)
        #expect(bad.bodyText == "refused: duplicate Content-Length")
        #expect(client.readToEnd().ending == .eof)
    }

    /// A malformed request followed by more bytes the client keeps sending: the 400 and an orderly EOF reach the
    /// client, not a reset caused by closing with input unread.
    @Test func bytesAfterMalformedRequestDoNotTurnTheCloseIntoAReset() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(Self.duplicateLength)
        try client.send(String(repeating: RequestText.get("/more"), count: 20_000))
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(client.readToEnd() == (.eof, []))
    }

    /// A malformed request that arrives in pieces, after a partial head was already buffered, is refused the same way.
    @Test func malformedRequestSplitAcrossReads() throws {
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        let bytes = Array(Self.duplicateLength.utf8)
        let split = 20
        try client.send(Array(bytes[..<split]))
        // Give the loop time to buffer the first piece; the test is valid, only weaker, if it has not.
        usleep(20_000)
        try client.send(Array(bytes[split...]))
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(client.readToEnd().ending == .eof)
    }
}
