import Testing

@testable import Reactor

/// Every limit exactly at its value and one past it, each fed three ways, plus the early detection that keeps a
/// peer from making the server wait for a line end that never comes.
@Suite struct HTTPLimitsTests {
    static let host = "Host: example.com\r\n"
    static let hostField = ("Host", "example.com")

    /// `GET /aaa… HTTP/1.1` of exactly `length` bytes, without its CRLF.
    static func requestLine(length: Int) -> (line: String, target: String) {
        let target = "/" + String(repeating: "a", count: length - "GET / HTTP/1.1".utf8.count)
        return ("GET \(target) HTTP/1.1", target)
    }

    /// Header lines totalling exactly `length` bytes with their CRLFs: Host plus one filler field.
    static func headerSection(length: Int) -> (lines: String, filler: String) {
        let filler = String(repeating: "f", count: length - host.utf8.count - "X-Fill: \r\n".utf8.count)
        return (host + "X-Fill: \(filler)\r\n", filler)
    }

    /// Host plus `count - 1` small fields.
    static func fields(count: Int) -> (lines: String, pairs: [(String, String)]) {
        let extra = (1..<count).map { ("X-\($0)", "\($0)") }
        return (host + extra.map { "\($0.0): \($0.1)\r\n" }.joined(), [hostField] + extra)
    }

    /// A request line of exactly 8 KiB is accepted.
    @Test func acceptsRequestLineAtTheLimit() {
        let (line, target) = Self.requestLine(length: 8 * 1024)
        #expect(line.utf8.count == 8192)
        HTTPFeeder.expectAllModes([UInt8](http: "\(line)\r\n\(Self.host)\r\n"), produce: [.head(.get, target), .end])
    }

    /// Empty lines before the request line do not count toward its limit.
    @Test func leadingEmptyLinesDoNotCountTowardTheRequestLine() {
        let (line, target) = Self.requestLine(length: 8 * 1024)
        HTTPFeeder.expectAllModes(
            [UInt8](http: "\r\n\r\n\(line)\r\n\(Self.host)\r\n"), produce: [.head(.get, target), .end])
    }

    /// A request line one byte over 8 KiB is refused with 414.
    @Test func refusesRequestLineOnePastTheLimit() {
        let (line, _) = Self.requestLine(length: 8 * 1024 + 1)
        Rejection("8 KiB + 1 request line", "\(line)\r\n\(Self.host)\r\n", .requestLineTooLong, 414).check()
    }

    /// The 414 comes as soon as the line exceeds the limit, without waiting for its CRLF, whether the first excess
    /// byte falls in the method, the target or the version.
    @Test(arguments: ["GET", "GET /", "GET /aaaaa HTTP/1.1"])
    func refusesOverlongRequestLineBeforeItEnds(_ shape: String) {
        let line: String
        if shape.hasSuffix("HTTP/1.1") {
            line = "GET /" + String(repeating: "a", count: 8 * 1024 - "GET / HTTP/1.1".utf8.count + 4) + " HTTP/1.1"
        } else {
            line = shape + String(repeating: "a", count: 8 * 1024 + 1 - shape.utf8.count)
        }
        Rejection("unterminated request line over 8 KiB", line, .requestLineTooLong, 414).check()
    }

    /// Header lines totalling exactly 16 KiB (CRLFs included) are accepted.
    @Test func acceptsHeaderSectionAtTheLimit() {
        let (lines, filler) = Self.headerSection(length: 16 * 1024)
        HTTPFeeder.expectAllModes(
            [UInt8](http: "GET / HTTP/1.1\r\n\(lines)\r\n"),
            produce: [.head(.get, "/", [Self.hostField, ("X-Fill", filler)]), .end])
    }

    /// Header lines one byte over 16 KiB are refused with 431.
    @Test func refusesHeaderSectionOnePastTheLimit() {
        let (lines, _) = Self.headerSection(length: 16 * 1024 + 1)
        Rejection("16 KiB + 1 header section", "GET / HTTP/1.1\r\n\(lines)\r\n", .headerSectionTooLarge, 431).check()
    }

    /// The 431 comes as soon as the header bytes exceed the limit, in the middle of a line.
    @Test func refusesOverlongHeaderSectionBeforeItEnds() {
        let filler = String(repeating: "f", count: 16 * 1024 + 1 - Self.host.utf8.count - "X-Fill: ".utf8.count)
        Rejection(
            "unterminated 16 KiB + 1 header section", "GET / HTTP/1.1\r\n\(Self.host)X-Fill: \(filler)",
            .headerSectionTooLarge, 431
        ).check()
    }

    /// 100 header fields are accepted.
    @Test func acceptsHeaderCountAtTheLimit() {
        let (lines, pairs) = Self.fields(count: 100)
        HTTPFeeder.expectAllModes(
            [UInt8](http: "GET / HTTP/1.1\r\n\(lines)\r\n"), produce: [.head(.get, "/", pairs), .end])
    }

    /// A 101st header field is refused with 431 as soon as its first byte arrives.
    @Test func refusesHeaderCountOnePastTheLimit() {
        let (lines, _) = Self.fields(count: 101)
        Rejection("101 header fields", "GET / HTTP/1.1\r\n\(lines)\r\n", .tooManyHeaders, 431).check()
        let (hundred, _) = Self.fields(count: 100)
        Rejection("first byte of a 101st field", "GET / HTTP/1.1\r\n\(hundred)X", .tooManyHeaders, 431).check()
    }

    /// A Content-Length body of exactly the maximum is accepted.
    @Test func acceptsContentLengthBodyAtTheLimit() {
        let size = 1 << 20
        let head = "POST /telemetry HTTP/1.1\r\n\(Self.host)Content-Length: \(size)\r\n\r\n"
        HTTPFeeder.expectAllModes(
            [UInt8](http: head) + [UInt8](repeating: 0x62, count: size),
            produce: [
                .head(
                    .post, "/telemetry", [Self.hostField, ("Content-Length", "\(size)")],
                    framing: .contentLength(size)),
                .body([UInt8](repeating: 0x62, count: size)), .end,
            ])
    }

    /// A Content-Length one over the maximum is refused with 413 at the head, before any body byte is sent.
    @Test func refusesContentLengthOnePastTheLimit() {
        Rejection(
            "Content-Length 1 MiB + 1", "POST / HTTP/1.1\r\n\(Self.host)Content-Length: \((1 << 20) + 1)\r\n\r\n",
            .bodyTooLarge, 413
        ).check()
        Rejection(
            "Content-Length Int.max", "POST / HTTP/1.1\r\n\(Self.host)Content-Length: \(Int.max)\r\n\r\n",
            .bodyTooLarge, 413
        ).check()
    }

    static let chunkedHead = "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n"
    static let chunkedHeadEvent = ParseEvent.head(
        .post, "/", [hostField, ("Transfer-Encoding", "chunked")], framing: .chunked)

    /// Sixteen 64 KiB chunks.
    static let maximalChunks = String(
        repeating: "10000\r\n" + String(repeating: "c", count: 1 << 16) + "\r\n", count: 16)

    /// A chunked body decoding to exactly the maximum is accepted.
    @Test func acceptsChunkedBodyAtTheLimit() {
        HTTPFeeder.expectAllModes(
            [UInt8](http: Self.chunkedHead + Self.maximalChunks + "0\r\n\r\n"),
            produce: [Self.chunkedHeadEvent, .body([UInt8](repeating: 0x63, count: 1 << 20)), .end])
    }

    /// A chunked body is refused with 413 at the chunk-size line that takes it past the maximum, before its data.
    @Test func refusesChunkedBodyOnePastTheLimit() {
        let bytes = [UInt8](http: Self.chunkedHead + Self.maximalChunks + "1\r\nx\r\n0\r\n\r\n")
        HTTPFeeder.expectAllModes(
            bytes,
            produce: [Self.chunkedHeadEvent, .body([UInt8](repeating: 0x63, count: 1 << 20)), .error(.bodyTooLarge)])
        Rejection(
            "single chunk of 1 MiB + 1", Self.chunkedHead + "100001\r\n", .bodyTooLarge, 413
        ).check()
    }

    static let tight = HTTPParserLimits(maxRequestLineBytes: 24, maxHeaderBytes: 40, maxHeaderCount: 3, maxBodyBytes: 8)

    static let tightCases: [Acceptance] = [
        Acceptance(
            "request line at 24 bytes", "GET /abcdefghij HTTP/1.1\r\nHost: h\r\n\r\n",
            [.head(.get, "/abcdefghij", [("Host", "h")]), .end], limits: tight),
        Acceptance(
            "40 bytes of header lines", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 0123456789\r\nX-B: 0123456\r\n\r\n",
            [.head(.get, "/", [("Host", "h"), ("X-A", "0123456789"), ("X-B", "0123456")]), .end], limits: tight),
        Acceptance(
            "8-byte Content-Length body", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 8\r\n\r\n12345678",
            [
                .head(.post, "/", [("Host", "h"), ("Content-Length", "8")], framing: .contentLength(8)),
                .body("12345678"), .end,
            ], limits: tight),
        Acceptance(
            "8-byte chunked body with 3 trailers of 40 bytes",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n5\r\ndefgh\r\n0\r\nT-A: 0123456789\r\nT-B: 0\r\nT-C: 12345678\r\n\r\n",
            [
                .head(.post, "/", [("Host", "h"), ("Transfer-Encoding", "chunked")], framing: .chunked),
                .body("abcdefgh"), .end,
            ], limits: tight),
    ]

    /// With small limits, every limit at its exact value is accepted, split at every position.
    @Test(arguments: tightCases)
    func acceptsTightLimitsExactly(_ acceptance: Acceptance) {
        acceptance.check()
    }

    static let tightRejections: [Rejection] = [
        Rejection(
            "request line at 25 bytes", "GET /abcdefghijk HTTP/1.1\r\nHost: h\r\n\r\n", .requestLineTooLong, 414,
            limits: tight),
        Rejection(
            "41 bytes of header lines", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 0123456789\r\nX-B: 01234567\r\n\r\n",
            .headerSectionTooLarge, 431, limits: tight),
        Rejection(
            "4 header fields", "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", .tooManyHeaders, 431,
            limits: tight),
        Rejection(
            "9-byte Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n123456789", .bodyTooLarge,
            413,
            limits: tight),
        Rejection(
            "9-byte chunked body",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n6\r\ndefghi\r\n",
            .bodyTooLarge, 413, limits: tight),
        Rejection(
            "41 bytes of trailers",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\nT-A: 0123456789\r\nT-B: 0\r\nT-C: 123456789\r\n\r\n",
            .headerSectionTooLarge, 431, limits: tight),
        Rejection(
            "4 trailer fields",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
            .tooManyHeaders, 431, limits: tight),
    ]

    /// With small limits, one past each limit is refused with its status, split at every position.
    @Test(arguments: tightRejections)
    func refusesTightLimitsOnePast(_ rejection: Rejection) {
        rejection.check()
    }
}
