import Testing

@testable import Reactor

/// A request the parser must accept, with every event it must produce.
struct Acceptance: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let expected: [ParseEvent]
    let limits: HTTPParserLimits

    init(_ label: String, _ request: String, _ expected: [ParseEvent], limits: HTTPParserLimits = .init()) {
        self.init(label, bytes: Array(request.utf8), expected, limits: limits)
    }

    init(_ label: String, bytes: [UInt8], _ expected: [ParseEvent], limits: HTTPParserLimits = .init()) {
        self.label = label
        self.bytes = bytes
        self.expected = expected
        self.limits = limits
    }

    var testDescription: String { label }

    /// Feeds the request whole, split at every position and byte by byte; every run must produce `expected`.
    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        HTTPFeeder.expectAllModes(bytes, produce: expected, limits: limits, sourceLocation: sourceLocation)
    }
}

/// Valid requests: what the parser extracts from them, however the bytes arrive.
@Suite struct HTTPParserTests {
    static let host = "Host: example.com\r\n"
    static let chunkedHead = "POST /telemetry HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let chunkedHeaders = [("Host", "example.com"), ("Transfer-Encoding", "chunked")]

    static let heads: [Acceptance] = [
        Acceptance("minimal GET", "GET / HTTP/1.1\r\n\(host)\r\n", [.head(.get, "/"), .end]),
        Acceptance(
            "path and query", "GET /telemetry?device=7&x=1 HTTP/1.1\r\n\(host)\r\n",
            [.head(.get, "/telemetry?device=7&x=1", path: "/telemetry", query: "device=7&x=1"), .end]),
        Acceptance(
            "empty query", "GET /a? HTTP/1.1\r\n\(host)\r\n", [.head(.get, "/a?", path: "/a", query: ""), .end]),
        Acceptance(
            "query split at the first question mark", "GET /a?b?c HTTP/1.1\r\n\(host)\r\n",
            [.head(.get, "/a?b?c", path: "/a", query: "b?c"), .end]),
        Acceptance(
            "every visible ASCII character in the target",
            "GET /a%20b;c=d,e!$&'()*+@~:[]{}|^`\"<>\\# HTTP/1.1\r\n\(host)\r\n",
            [.head(.get, "/a%20b;c=d,e!$&'()*+@~:[]{}|^`\"<>\\#"), .end]),
        Acceptance(
            "header whitespace trimmed on both sides", "GET / HTTP/1.1\r\n\(host)X:  \t a \t b \t \r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("X", "a \t b")]), .end]),
        Acceptance(
            "empty and blank header values", "GET / HTTP/1.1\r\n\(host)X:\r\nY: \t \r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("X", ""), ("Y", "")]), .end]),
        Acceptance(
            "obs-text in a header value",
            bytes: Array("GET / HTTP/1.1\r\n\(host)X: caf".utf8) + [0xC3, 0xA9, 0xFF] + Array("\r\n\r\n".utf8),
            [.head(.get, "/", [("Host", "example.com"), ("X", "café\u{FFFD}")]), .end]),
        Acceptance(
            "repeated fields kept in order", "GET / HTTP/1.1\r\n\(host)Accept: a\r\naccept: b\r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("Accept", "a"), ("accept", "b")]), .end]),
        Acceptance(
            "every token character in a header name", "GET / HTTP/1.1\r\n\(host)!#$%&'*+-.^_`|~09AZaz: v\r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("!#$%&'*+-.^_`|~09AZaz", "v")]), .end]),
        Acceptance("one leading empty line", "\r\nGET / HTTP/1.1\r\n\(host)\r\n", [.head(.get, "/"), .end]),
        Acceptance(
            "four leading empty lines", "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n", [.head(.get, "/"), .end]),
        Acceptance(
            "HTTP/1.0 without Host does not keep alive", "GET / HTTP/1.0\r\n\r\n",
            [.head(.get, "/", [], version: .http1_0, keepAlive: false), .end]),
        Acceptance(
            "HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            [.head(.get, "/", [("Connection", "Keep-Alive")], version: .http1_0, keepAlive: true), .end]),
        Acceptance(
            "HTTP/1.0 with keep-alive and close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            [.head(.get, "/", [("Connection", "keep-alive, close")], version: .http1_0, keepAlive: false), .end]),
        Acceptance(
            "HTTP/1.1 Connection close", "GET / HTTP/1.1\r\n\(host)Connection: close\r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("Connection", "close")], keepAlive: false), .end]),
        Acceptance(
            "close anywhere in a Connection list", "GET / HTTP/1.1\r\n\(host)Connection: Upgrade ,\tCLOSE \r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("Connection", "Upgrade ,\tCLOSE")], keepAlive: false), .end]),
        Acceptance(
            "closed is not close", "GET / HTTP/1.1\r\n\(host)Connection: closed\r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("Connection", "closed")]), .end]),
        Acceptance(
            "Expect 100-continue", "GET / HTTP/1.1\r\n\(host)Expect: 100-Continue\r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("Expect", "100-Continue")], expectsContinue: true), .end]),
        Acceptance(
            "other expectations are not 100-continue", "GET / HTTP/1.1\r\n\(host)Expect: 100-continued\r\n\r\n",
            [.head(.get, "/", [("Host", "example.com"), ("Expect", "100-continued")]), .end]),
        Acceptance(
            "HTTP/1.0 ignores Expect", "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
            [.head(.get, "/", [("Expect", "100-continue")], version: .http1_0, keepAlive: false), .end]),
        Acceptance(
            "OPTIONS asterisk-form", "OPTIONS * HTTP/1.1\r\n\(host)\r\n", [.head(.options, "*", path: "*"), .end]),
        Acceptance(
            "OPTIONS origin-form", "OPTIONS /telemetry HTTP/1.1\r\n\(host)\r\n", [.head(.options, "/telemetry"), .end]),
        Acceptance(
            "CONNECT authority-form", "CONNECT example.com:443 HTTP/1.1\r\n\(host)\r\n",
            [.head(.connect, "example.com:443", path: "example.com:443"), .end]),
        Acceptance(
            "absolute-form", "GET http://example.com/telemetry?x=1 HTTP/1.1\r\n\(host)\r\n",
            [.head(.get, "http://example.com/telemetry?x=1", path: "/telemetry", query: "x=1"), .end]),
        Acceptance(
            "absolute-form without a path", "GET HTTPS://example.com HTTP/1.1\r\n\(host)\r\n",
            [.head(.get, "HTTPS://example.com", path: "/"), .end]),
        Acceptance(
            "absolute-form with only a query", "GET http://example.com?x HTTP/1.1\r\n\(host)\r\n",
            [.head(.get, "http://example.com?x", path: "/", query: "x"), .end]),
        Acceptance(
            "unregistered method", "PURGE /cache HTTP/1.1\r\n\(host)\r\n", [.head(.other("PURGE"), "/cache"), .end]),
        Acceptance(
            "methods are case-sensitive", "get / HTTP/1.1\r\n\(host)\r\n", [.head(.other("get"), "/"), .end]),
        Acceptance(
            "method with token punctuation", "M-SEARCH / HTTP/1.1\r\n\(host)\r\n",
            [.head(.other("M-SEARCH"), "/"), .end]),
        Acceptance(
            "Host with an empty value", "GET / HTTP/1.1\r\nHost:\r\n\r\n", [.head(.get, "/", [("Host", "")]), .end]),
    ]

    /// Request lines and header fields come out exactly as sent, with values trimmed and semantics applied.
    @Test(arguments: heads)
    func parsesHeads(_ acceptance: Acceptance) {
        acceptance.check()
    }

    static let registeredMethods: [(String, HTTPMethod)] = [
        ("GET", .get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete), ("OPTIONS", .options),
        ("PATCH", .patch), ("TRACE", .trace), ("CONNECT", .connect),
    ]

    /// Each registered method gets its own case, and its name round-trips.
    @Test(arguments: registeredMethods)
    func recognisesRegisteredMethods(_ name: String, _ method: HTTPMethod) {
        let request = Acceptance(name, "\(name) /x HTTP/1.1\r\n\(Self.host)\r\n", [.head(method, "/x"), .end])
        request.check()
        #expect(method.name == name)
        #expect(method.description == name)
    }

    static let bodies: [Acceptance] = [
        Acceptance(
            "POST with a Content-Length body",
            "POST /telemetry HTTP/1.1\r\n\(host)Content-Length: 13\r\n\r\n{\"temp\":21.5}",
            [
                .head(
                    .post, "/telemetry", [("Host", "example.com"), ("Content-Length", "13")],
                    framing: .contentLength(13)),
                .body("{\"temp\":21.5}"), .end,
            ]),
        Acceptance(
            "Content-Length 0", "POST / HTTP/1.1\r\n\(host)Content-Length: 0\r\n\r\n",
            [.head(.post, "/", [("Host", "example.com"), ("Content-Length", "0")], framing: .contentLength(0)), .end]),
        Acceptance(
            "Content-Length with leading zeros and whitespace",
            "POST / HTTP/1.1\r\n\(host)content-length:\t005 \r\n\r\nhello",
            [
                .head(.post, "/", [("Host", "example.com"), ("content-length", "005")], framing: .contentLength(5)),
                .body("hello"), .end,
            ]),
        Acceptance(
            "GET with a body", "GET / HTTP/1.1\r\n\(host)Content-Length: 2\r\n\r\nhi",
            [
                .head(.get, "/", [("Host", "example.com"), ("Content-Length", "2")], framing: .contentLength(2)),
                .body("hi"), .end,
            ]),
        Acceptance(
            "chunked body", chunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            [.head(.post, "/telemetry", chunkedHeaders, framing: .chunked), .body("hello world"), .end]),
        Acceptance(
            "chunked body with extensions and trailers",
            chunkedHead + "5;a=b;c=\"d \\\" e\";f\r\nhello\r\n0;last=\"\"\r\nChecksum: abc\r\nX-Tail:\t1 \r\n\r\n",
            [.head(.post, "/telemetry", chunkedHeaders, framing: .chunked), .body("hello"), .end]),
        Acceptance(
            "chunk sizes in upper case with leading zeros", chunkedHead + "000A\r\n0123456789\r\n00\r\n\r\n",
            [.head(.post, "/telemetry", chunkedHeaders, framing: .chunked), .body("0123456789"), .end]),
        Acceptance(
            "chunked body with no data", chunkedHead + "0\r\n\r\n",
            [.head(.post, "/telemetry", chunkedHeaders, framing: .chunked), .end]),
        Acceptance(
            "Transfer-Encoding with a tab before chunked",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\tchunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
            [
                .head(.post, "/", [("Host", "example.com"), ("Transfer-Encoding", "chunked")], framing: .chunked),
                .body("x"), .end,
            ]),
        Acceptance(
            "Transfer-Encoding in another case",
            "POST / HTTP/1.1\r\n\(host)transfer-encoding: Chunked \r\n\r\n0\r\n\r\n",
            [.head(.post, "/", [("Host", "example.com"), ("transfer-encoding", "Chunked")], framing: .chunked), .end]),
        Acceptance(
            "Expect 100-continue with a body",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
            [
                .head(
                    .post, "/", [("Host", "example.com"), ("Content-Length", "2"), ("Expect", "100-continue")],
                    framing: .contentLength(2), expectsContinue: true),
                .body("hi"), .end,
            ]),
    ]

    /// Content-Length and chunked bodies arrive intact, then `.end`; framing bytes never leak into the payload.
    @Test(arguments: bodies)
    func parsesBodies(_ acceptance: Acceptance) {
        acceptance.check()
    }

    /// Ten pipelined requests in one buffer come out as ten head/body/end sequences, in order.
    @Test func parsesTenPipelinedRequests() {
        var bytes: [UInt8] = []
        var expected: [ParseEvent] = []
        for index in 0..<10 {
            switch index % 4 {
            case 0:
                bytes += [UInt8](http: "GET /health?n=\(index) HTTP/1.1\r\n\(Self.host)\r\n")
                expected += [.head(.get, "/health?n=\(index)"), .end]
            case 1:
                let body = "{\"n\":\(index)}"
                bytes += [UInt8](
                    http: "POST /telemetry HTTP/1.1\r\n\(Self.host)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                expected += [
                    .head(
                        .post, "/telemetry", [("Host", "example.com"), ("Content-Length", "\(body.utf8.count)")],
                        framing: .contentLength(body.utf8.count)),
                    .body(body), .end,
                ]
            case 2:
                bytes += [UInt8](http: Self.chunkedHead + "3\r\nab\(index)\r\n0\r\nT: t\r\n\r\n")
                expected += [
                    .head(.post, "/telemetry", Self.chunkedHeaders, framing: .chunked), .body("ab\(index)"), .end,
                ]
            default:
                // A stray CRLF after the previous body, as some clients send, is skipped.
                bytes += [UInt8](http: "\r\nDELETE /x/\(index) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                expected += [.head(.delete, "/x/\(index)", [("Connection", "keep-alive")], version: .http1_0), .end]
            }
        }
        HTTPFeeder.expectAllModes(bytes, produce: expected)
    }

    /// A request arriving one byte per read is parsed exactly as if it came in one piece.
    @Test func parsesARequestArrivingByteByByte() {
        let bytes = [UInt8](http: "POST /telemetry HTTP/1.1\r\n\(Self.host)Content-Length: 5\r\n\r\nhello")
        let expected: [ParseEvent] = [
            .head(.post, "/telemetry", [("Host", "example.com"), ("Content-Length", "5")], framing: .contentLength(5)),
            .body("hello"), .end,
        ]
        #expect(HTTPFeeder.events(bytes, mode: .byteByByte) == expected)
    }

    /// A head without a body yields `.head` then `.end(consumed: 0)`, and the parser is ready for the next request.
    @Test func headWithoutBodyIsFollowedByEnd() {
        var parser = HTTPRequestParser()
        let bytes = [UInt8](http: "GET / HTTP/1.1\r\n\(Self.host)\r\nGET")
        let headLength = bytes.count - 3
        let results = bytes.withUnsafeBytes { input in
            [parser.parse(input), parser.parse(UnsafeRawBufferPointer(rebasing: input[headLength...]))]
        }
        guard case .head(_, let consumed) = results[0] else {
            Issue.record("expected a head, got \(results[0])")
            return
        }
        #expect(consumed == headLength)
        guard case .end(let endConsumed) = results[1] else {
            Issue.record("expected the end, got \(results[1])")
            return
        }
        #expect(endConsumed == 0)
        #expect(parser.scannedHeadBytes == 0)
    }

    /// While the head is incomplete nothing is consumed, yet the parser resumes where it stopped instead of
    /// rescanning: presenting the same bytes plus one more examines only the new byte.
    @Test func incompleteHeadIsKeptButNotRescanned() {
        var parser = HTTPRequestParser()
        let bytes = [UInt8](http: "GET / HTTP/1.1\r\n\(Self.host)X-Slow: ") + [UInt8](repeating: 0x61, count: 16_000)
        for end in 1...bytes.count {
            let result = bytes.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
            guard case .needMore(let consumed) = result, consumed == 0 else {
                Issue.record("expected needMore(consumed: 0) after \(end) bytes, got \(result)")
                return
            }
            #expect(parser.scannedHeadBytes == end)
        }
    }

    /// Chunk-size lines and CRLFs are consumed as they are decoded, and payload ranges point into the input.
    @Test func chunkedFramingIsConsumedAsItArrives() {
        var parser = HTTPRequestParser()
        func feed(_ text: String) -> RawResult {
            RawResult([UInt8](http: text).withUnsafeBytes { parser.parse($0) })
        }
        #expect(feed(Self.chunkedHead) == .head(consumed: Self.chunkedHead.utf8.count))
        let steps: [(String, RawResult)] = [
            ("5\r\nhel", .body(3..<6, consumed: 6)),
            ("lo\r\n1", .body(0..<2, consumed: 2)),
            ("\r\n1", .needMore(consumed: 3)),
            ("\r\nx\r\n0\r", .body(2..<3, consumed: 3)),
            ("\r\n0\r", .needMore(consumed: 4)),
            ("\nT: v\r\n", .needMore(consumed: 7)),
            ("\r\nGET", .end(consumed: 2)),
        ]
        for (input, expected) in steps {
            #expect(feed(input) == expected, "after \(input.debugDescription)")
        }
    }

    /// A Content-Length body is handed out in as many pieces as it arrives in, never past its length.
    @Test func contentLengthBodyStopsAtItsLength() {
        var parser = HTTPRequestParser()
        func feed(_ text: String) -> RawResult {
            RawResult([UInt8](http: text).withUnsafeBytes { parser.parse($0) })
        }
        let head = "POST / HTTP/1.1\r\n\(Self.host)Content-Length: 5\r\n\r\n"
        #expect(feed(head) == .head(consumed: head.utf8.count))
        #expect(feed("") == .needMore(consumed: 0))
        #expect(feed("hel") == .body(0..<3, consumed: 3))
        #expect(feed("loGET") == .body(0..<2, consumed: 2))
        #expect(feed("GET") == .end(consumed: 0))
        #expect(feed("GET") == .needMore(consumed: 0))
    }

    /// The head owns its bytes: reusing the read buffer afterwards does not change it.
    @Test func headOutlivesTheInputBuffer() {
        var parser = HTTPRequestParser()
        var buffer = [UInt8](http: "PUT /a?b HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n")
        let result = buffer.withUnsafeBytes { parser.parse($0) }
        for index in buffer.indices { buffer[index] = 0x7A }
        guard case .head(let head, _) = result else {
            Issue.record("expected a head, got \(result)")
            return
        }
        #expect(head.method == .put)
        #expect(head.target == "/a?b")
        #expect(head.headers["x"] == "y")
    }
}
