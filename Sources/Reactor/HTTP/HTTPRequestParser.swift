/// A strict, incremental HTTP/1.1 request parser: bytes in, heads and body ranges out, no I/O, no per-byte work
/// beyond a table lookup, and no allocation except the two arrays each `HTTPRequestHead` owns.
///
/// The connection owns the bytes and calls `parse` with everything it holds that is not yet consumed; see
/// `HTTPParseResult` for the contract. One parser serves a whole connection: after `.end` it parses the next
/// pipelined request. It accepts what RFC 9112 requires and nothing the lenient modes of other parsers tolerate,
/// because a gateway that reads framing differently from the proxy in front of it can be smuggled requests.
///
/// The parser does not stop at a request with `keepAlive == false`; the connection must stop feeding it.
public struct HTTPRequestParser: Sendable {
    private enum Phase {
        case head
        case fixedBody(remaining: Int)
        case chunkedBody
        case complete
        case failed(HTTPParseError)
    }

    private var phase = Phase.head
    private var headScanner: RequestHeadScanner
    private var chunkedDecoder: ChunkedBodyDecoder
    private let limits: HTTPParserLimits

    public init(limits: HTTPParserLimits = .init()) {
        precondition(
            limits.maxRequestLineBytes > 0 && limits.maxHeaderBytes >= 0 && limits.maxHeaderCount >= 0
                && limits.maxBodyBytes >= 0,
            "HTTP parser limits must not be negative"
        )
        // Header offsets are stored as 32-bit values; refuse at startup a configuration that could overflow them.
        precondition(
            limits.maxRequestLineBytes.addingReportingOverflow(limits.maxHeaderBytes).partialValue < Int(Int32.max),
            "HTTP head limits must stay below 2 GiB"
        )
        self.limits = limits
        headScanner = RequestHeadScanner(limits: limits)
        chunkedDecoder = ChunkedBodyDecoder(limits: limits)
    }

    /// Bytes of the current, incomplete head already validated; the next call resumes there.
    var scannedHeadBytes: Int { headScanner.scannedBytes }

    /// True between messages: nothing of a next request has been scanned and no error is pending, so this parser is
    /// interchangeable with a new one. Connections lend parsers out only in this state.
    public var isBetweenMessages: Bool {
        if case .head = phase { return headScanner.scannedBytes == 0 }
        return false
    }

    public mutating func parse(_ input: UnsafeRawBufferPointer) -> HTTPParseResult {
        do {
            return try step(input)
        } catch {
            phase = .failed(error)
            return .error(error)
        }
    }

    private mutating func step(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> HTTPParseResult {
        switch phase {
        case .head:
            guard let (head, consumed) = try headScanner.scan(input) else { return .needMore(consumed: 0) }
            switch head.framing {
            case .none, .contentLength(0):
                phase = .complete
            case .contentLength(let length):
                phase = .fixedBody(remaining: length)
            case .chunked:
                chunkedDecoder = ChunkedBodyDecoder(limits: limits)
                phase = .chunkedBody
            }
            return .head(head, consumed: consumed)

        case .fixedBody(let remaining):
            guard !input.isEmpty else { return .needMore(consumed: 0) }
            let length = min(remaining, input.count)
            phase = length == remaining ? .complete : .fixedBody(remaining: remaining - length)
            return .body(0..<length, consumed: length)

        case .chunkedBody:
            switch try chunkedDecoder.decode(input) {
            case .data(let range, let consumed):
                return .body(range, consumed: consumed)
            case .needMore(let consumed):
                return .needMore(consumed: consumed)
            case .end(let consumed):
                phase = .head
                return .end(consumed: consumed)
            }

        case .complete:
            phase = .head
            return .end(consumed: 0)

        case .failed(let error):
            return .error(error)
        }
    }
}
