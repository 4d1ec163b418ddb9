import Testing

@testable import Reactor

/// A request the parser must refuse, with the exact error and status it must refuse it with.
struct Rejection: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let error: HTTPParseError
    let status: Int
    let limits: HTTPParserLimits

    init(_ label: String, _ request: String, _ error: HTTPParseError, _ status: Int, limits: HTTPParserLimits = .init())
    {
        self.init(label, bytes: Array(request.utf8), error, status, limits: limits)
    }

    init(_ label: String, bytes: [UInt8], _ error: HTTPParseError, _ status: Int, limits: HTTPParserLimits = .init()) {
        self.label = label
        self.bytes = bytes
        self.error = error
        self.status = status
        self.limits = limits
    }

    var testDescription: String { label }

    /// Feeds the request whole, split at every position and byte by byte; each run must end in exactly this error,
    /// and all runs must agree on every event before it.
    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error.status == status, "\(error) maps to \(error.status)", sourceLocation: sourceLocation)
        let reference = HTTPFeeder.events(bytes, mode: .whole, limits: limits, sourceLocation: sourceLocation)
        #expect(reference.last == .error(error), "whole buffer", sourceLocation: sourceLocation)
        HTTPFeeder.expectAllModes(bytes, produce: reference, limits: limits, sourceLocation: sourceLocation)
    }
}

/// Every rejected pattern of RFC 9112 (with llhttp's lenient flags off), each fed three ways.
@Suite struct HTTPStrictnessTests {
    static let lineEndings: [Rejection] = [
        Rejection("bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineFeed, 400),
        Rejection("bare CR ending the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", .bareCarriageReturn, 400),
        Rejection("bare LF ending a header line", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", .bareLineFeed, 400),
        Rejection("bare CR inside a header value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", .bareCarriageReturn, 400),
        Rejection("CR CR LF ending a header line", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", .bareCarriageReturn, 400),
        Rejection("bare LF as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLineFeed, 400),
        Rejection("bare CR as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\rX", .bareCarriageReturn, 400),
        Rejection("bare LF as a leading empty line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLineFeed, 400),
        Rejection("bare CR as a leading empty line", "\r GET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareCarriageReturn, 400),
        Rejection(
            "five leading empty lines", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .tooManyEmptyLines, 400
        ),
    ]

    /// Line endings are exactly CRLF everywhere in the head; leading empty lines are bounded.
    @Test(arguments: lineEndings)
    func rejectsBareCROrLFInTheHead(_ rejection: Rejection) {
        rejection.check()
    }

    static let requestLines: [Rejection] = [
        Rejection(
            "invalid token character in method", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethodCharacter, 400),
        Rejection(
            "control character in method", "G\u{01}ET / HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethodCharacter, 400),
        Rejection("tab after method", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .invalidMethodCharacter, 400),
        Rejection("space before method", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        Rejection("method only", "GET\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        Rejection("method and space only", "GET \r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        Rejection("two spaces after method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        Rejection("two spaces before version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        Rejection("space after version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        Rejection("space inside target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", .malformedVersion, 400),
        Rejection("tab inside target", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetCharacter, 400),
        Rejection(
            "control character in target", "GET /a\u{01} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetCharacter, 400),
        Rejection("DEL in target", "GET /a\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetCharacter, 400),
        Rejection(
            "non-ASCII byte in target",
            bytes: Array("GET /caf".utf8) + [0xC3, 0xA9] + Array(" HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
            .invalidTargetCharacter, 400),
        Rejection("relative target", "GET telemetry HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm, 400),
        Rejection("asterisk target for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm, 400),
        Rejection("asterisk with more for OPTIONS", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm, 400),
        Rejection(
            "absolute-form with another scheme", "GET ftp://a/b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm, 400),
        Rejection(
            "absolute-form with empty host", "GET http:///b HTTP/1.1\r\nHost: a\r\n\r\n", .invalidTargetForm, 400),
        Rejection("HTTP/0.9 request line", "GET /\r\n\r\n", .missingVersion, 400),
        Rejection("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", .malformedVersion, 400),
        Rejection("letter as minor version", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", .malformedVersion, 400),
        Rejection("two-digit minor version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", .malformedVersion, 400),
        Rejection("version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", .malformedVersion, 400),
        Rejection("garbage version", "GET / FOO\r\nHost: a\r\n\r\n", .malformedVersion, 400),
        Rejection("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        Rejection("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        Rejection("HTTP/0.9 version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        Rejection("HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
    ]

    /// The request line is `method SP request-target SP HTTP/1.x CRLF` and nothing else.
    @Test(arguments: requestLines)
    func rejectsMalformedRequestLines(_ rejection: Rejection) {
        rejection.check()
    }

    static let headerLines: [Rejection] = [
        Rejection("obs-fold with space", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", .obsoleteLineFolding, 400),
        Rejection("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", .obsoleteLineFolding, 400),
        Rejection(
            "whitespace before the first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .obsoleteLineFolding, 400),
        Rejection(
            "header line without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .headerWithoutColon, 400),
        Rejection("space between name and colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .whitespaceBeforeColon, 400),
        Rejection("tab between name and colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", .whitespaceBeforeColon, 400),
        Rejection("empty header name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", .emptyHeaderName, 400),
        Rejection(
            "delimiter in header name", "GET / HTTP/1.1\r\nHost: a\r\nX(Y: b\r\n\r\n", .invalidHeaderNameCharacter,
            400),
        Rejection(
            "DEL in header name", "GET / HTTP/1.1\r\nHost: a\r\nX\u{7F}: b\r\n\r\n", .invalidHeaderNameCharacter, 400),
        Rejection(
            "non-ASCII header name",
            bytes: Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8) + [0xC3, 0xA9] + Array(": b\r\n\r\n".utf8),
            .invalidHeaderNameCharacter, 400),
        Rejection("NUL in header value", "GET / HTTP/1.1\r\nHost: a\u{00}b\r\n\r\n", .invalidHeaderValueCharacter, 400),
        Rejection(
            "control character in header value", "GET / HTTP/1.1\r\nHost: a\u{01}\r\n\r\n",
            .invalidHeaderValueCharacter, 400),
        Rejection("DEL in header value", "GET / HTTP/1.1\r\nHost: a\u{7F}\r\n\r\n", .invalidHeaderValueCharacter, 400),
        Rejection(
            "vertical tab before header value", "GET / HTTP/1.1\r\nHost:\u{0B}a\r\n\r\n", .invalidHeaderValueCharacter,
            400),
        Rejection("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .missingHost, 400),
        Rejection("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .duplicateHost, 400),
        Rejection(
            "two equal Host headers in any case", "GET / HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n", .duplicateHost, 400),
        Rejection("two Host headers in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", .duplicateHost, 400),
    ]

    /// Header lines are `token ":" OWS field-value OWS CRLF`; no folding, no stray whitespace, no control bytes.
    @Test(arguments: headerLines)
    func rejectsMalformedHeaderLines(_ rejection: Rejection) {
        rejection.check()
    }

    static let framing: [Rejection] = [
        Rejection(
            "Content-Length then Transfer-Encoding (CL.TE)",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .contentLengthWithTransferEncoding, 400),
        Rejection(
            "Transfer-Encoding then Content-Length (TE.CL)",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
            .contentLengthWithTransferEncoding, 400),
        Rejection(
            "Transfer-Encoding chunked with Content-Length 0",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
            .contentLengthWithTransferEncoding, 400),
        Rejection(
            "space before colon in Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", .whitespaceBeforeColon, 400),
        Rejection(
            "two equal Content-Length headers",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            .duplicateContentLength, 400),
        Rejection(
            "two different Content-Length headers",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!",
            .duplicateContentLength,
            400),
        Rejection(
            "empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .emptyContentLength, 400),
        Rejection(
            "blank Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  \t \r\n\r\n", .emptyContentLength,
            400),
        Rejection(
            "plus-signed Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
            .invalidContentLength, 400),
        Rejection(
            "negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n",
            .invalidContentLength, 400),
        Rejection(
            "hex Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", .invalidContentLength,
            400),
        Rejection(
            "Content-Length with inner space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n",
            .invalidContentLength,
            400),
        Rejection(
            "Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", .invalidContentLength,
            400),
        Rejection(
            "Content-Length overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
            .contentLengthOverflow, 400),
        Rejection(
            "Content-Length one past Int.max",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
            .contentLengthOverflow, 400),
        Rejection(
            "Transfer-Encoding gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "Transfer-Encoding chunked, chunked",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "Transfer-Encoding chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "Transfer-Encoding identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "Transfer-Encoding xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "Transfer-Encoding with a parameter",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "two Transfer-Encoding headers",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            .unsupportedTransferEncoding, 501),
        Rejection(
            "Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .transferEncodingInHTTP10, 400),
    ]

    /// Body framing is unambiguous or refused: the request-smuggling classics never reach the application.
    @Test(arguments: framing)
    func rejectsAmbiguousFraming(_ rejection: Rejection) {
        rejection.check()
    }

    static let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

    static let chunkedFraming: [Rejection] = [
        Rejection("chunk size not hex", chunkedHead + "G\r\n", .invalidChunkSize, 400),
        Rejection("empty chunk size", chunkedHead + "\r\nhello\r\n", .invalidChunkSize, 400),
        Rejection("space before chunk size", chunkedHead + " 5\r\nhello\r\n", .invalidChunkSize, 400),
        Rejection("space after chunk size", chunkedHead + "5 \r\nhello\r\n", .invalidChunkSize, 400),
        Rejection("negative chunk size", chunkedHead + "-5\r\nhello\r\n", .invalidChunkSize, 400),
        Rejection("0x-prefixed chunk size", chunkedHead + "0x5\r\nhello\r\n", .invalidChunkSize, 400),
        Rejection("chunk size overflow", chunkedHead + "FFFFFFFFFFFFFFFFF\r\n", .chunkSizeOverflow, 400),
        Rejection("chunk size of 2^64 - 1", chunkedHead + "ffffffffffffffff\r\n", .chunkSizeOverflow, 400),
        Rejection("bare LF after chunk size", chunkedHead + "5\nhello\r\n0\r\n\r\n", .bareLineFeed, 400),
        Rejection("bare CR after chunk size", chunkedHead + "5\rhello\r\n0\r\n\r\n", .bareCarriageReturn, 400),
        Rejection(
            "chunk data longer than its size", chunkedHead + "3\r\nhello\r\n0\r\n\r\n", .missingChunkDataCRLF, 400),
        Rejection("no CRLF after chunk data", chunkedHead + "5\r\nhello0\r\n\r\n", .missingChunkDataCRLF, 400),
        Rejection("bare LF after chunk data", chunkedHead + "5\r\nhello\n0\r\n\r\n", .missingChunkDataCRLF, 400),
        Rejection("bare CR after chunk data", chunkedHead + "5\r\nhello\r0\r\n\r\n", .missingChunkDataCRLF, 400),
        Rejection("bare LF after last chunk", chunkedHead + "0\n\r\n", .bareLineFeed, 400),
        Rejection("empty extension name", chunkedHead + "5;\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection("extension without name", chunkedHead + "5;=x\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection("extension with empty value", chunkedHead + "5;a=\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection("space before extension", chunkedHead + "5 ;a\r\nhello\r\n", .invalidChunkSize, 400),
        Rejection("space inside extension", chunkedHead + "5;a b\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection("space after extension value", chunkedHead + "5;a=b c\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection("unterminated quoted extension", chunkedHead + "5;a=\"b\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection("text after quoted extension", chunkedHead + "5;a=\"b\"c\r\nhello\r\n", .invalidChunkExtension, 400),
        Rejection(
            "control character in quoted extension", chunkedHead + "5;a=\"\u{01}\"\r\nhello\r\n",
            .invalidChunkExtension, 400),
        Rejection("bare LF inside extension", chunkedHead + "5;a\nhello\r\n", .bareLineFeed, 400),
        Rejection(
            "chunk-size line over 4 KiB", chunkedHead + "5;" + String(repeating: "a", count: 4096) + "\r\nhello\r\n",
            .chunkLineTooLong, 400),
        Rejection("obs-fold in trailers", chunkedHead + "0\r\nX: a\r\n b\r\n\r\n", .obsoleteLineFolding, 400),
        Rejection("trailer without colon", chunkedHead + "0\r\nNoColon\r\n\r\n", .headerWithoutColon, 400),
        Rejection("space before colon in trailer", chunkedHead + "0\r\nX : a\r\n\r\n", .whitespaceBeforeColon, 400),
        Rejection(
            "control character in trailer value", chunkedHead + "0\r\nX: \u{01}\r\n\r\n", .invalidHeaderValueCharacter,
            400),
        Rejection("bare LF ending the trailers", chunkedHead + "0\r\nX: a\r\n\n", .bareLineFeed, 400),
        Rejection("bare CR in trailer", chunkedHead + "0\r\nX: a\rb\r\n\r\n", .bareCarriageReturn, 400),
    ]

    /// Chunk framing bytes are validated as strictly as the head: sizes, extensions, CRLFs and trailers.
    @Test(arguments: chunkedFraming)
    func rejectsMalformedChunkedFraming(_ rejection: Rejection) {
        rejection.check()
    }

    /// An error is sticky: once refused, a parser returns the same error for any later input.
    @Test func errorsAreSticky() {
        var parser = HTTPRequestParser()
        let bad = [UInt8](http: "GET / HTTP/1.1\r\nHost : a\r\n\r\n")
        let good = [UInt8](http: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let first = bad.withUnsafeBytes { parser.parse($0) }
        let second = good.withUnsafeBytes { parser.parse($0) }
        let third = [UInt8]().withUnsafeBytes { parser.parse($0) }
        for result in [first, second, third] {
            guard case .error(let error) = result else {
                Issue.record("expected the sticky error, got \(result)")
                continue
            }
            #expect(error == .whitespaceBeforeColon)
        }
    }

    /// Rejections that depend only on the head come before any body byte is handed out.
    @Test func refusesFramingBeforeReadingTheBody() {
        let events = HTTPFeeder.events(
            [UInt8](http: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
            mode: .whole)
        #expect(events == [.error(.duplicateContentLength)])
    }
}
