import Testing

@testable import Processor

/// Every response parsed whole, split at every index and byte by byte gives the same answer.
@Suite struct HTTPClientResponseParserTests {
    let parser = HTTPClientResponseParser()

    private func parseIncrementally(_ text: String) -> HTTPClientResponseParser.Result {
        let bytes = Array(text.utf8)
        var buffer: [UInt8] = []
        for byte in bytes {
            buffer.append(byte)
            let result = parser.parse(buffer, peerClosed: false)
            if result != .incomplete { return result }
        }
        return parser.parse(buffer, peerClosed: true)
    }

    @Test(arguments: [
        ("HTTP/1.1 204 No Content\r\nX-Influxdb-Version: 1.6\r\n\r\n", 204, "", true),
        (
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 16\r\n\r\n{\"error\":\"bad\"}\n", 400, "{\"error\":\"bad\"}\n",
            true
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", 200, "abcde",
            true
        ),
        ("HTTP/1.1 500 Oops\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno", 500, "no", false),
        ("HTTP/1.0 204 No Content\r\n\r\n", 204, "", false),
        ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 204, "", true),
    ])
    func completeResponses(text: String, status: Int, body: String, keepAlive: Bool) {
        let bytes = Array(text.utf8)
        guard case .complete(let response, let consumed, let alive) = parser.parse(bytes, peerClosed: false) else {
            Issue.record("not complete: \(parser.parse(bytes, peerClosed: false))")
            return
        }
        #expect(response.status == status && response.bodyText == body && consumed == bytes.count && alive == keepAlive)
        #expect(parseIncrementally(text) == parser.parse(bytes, peerClosed: false))
        for split in 0..<bytes.count {
            #expect(parser.parse(Array(bytes[..<split]), peerClosed: false) == .incomplete)
        }
    }

    /// A body without length runs to the close.
    @Test func bodyUntilClose() {
        let bytes = Array("HTTP/1.1 200 OK\r\n\r\nhello".utf8)
        #expect(parser.parse(bytes, peerClosed: false) == .incomplete)
        guard case .complete(let response, _, false) = parser.parse(bytes, peerClosed: true) else {
            Issue.record("expected completion at close")
            return
        }
        #expect(response.bodyText == "hello")
    }

    @Test(arguments: [
        "garbage\r\n\r\n", "SSH-2.0-OpenSSH\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ])
    func garbageIsInvalid(text: String) {
        guard case .invalid = parser.parse(Array(text.utf8), peerClosed: false) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
    }

    @Test func limits() {
        var small = HTTPClientResponseParser()
        small.maxHeadBytes = 64
        small.maxBodyBytes = 4
        let longHead = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100)
        #expect(small.parse(Array(longHead.utf8), peerClosed: false) == .invalid("response head over 64 bytes"))
        let bigBody = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        #expect(small.parse(Array(bigBody.utf8), peerClosed: false) == .invalid("response body over 4 bytes"))
    }

    /// The peer closing in the middle is an error, never a short body.
    @Test func truncatedByClose() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
        guard case .invalid = parser.parse(Array(text.utf8), peerClosed: true) else {
            Issue.record("a truncated body was accepted")
            return
        }
    }
}
