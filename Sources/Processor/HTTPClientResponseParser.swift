/// A response as the HTTP client returns it.
public struct HTTPClientResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Parses one HTTP/1.1 response from the bytes received so far: a pure function over bytes, so tests can feed it
/// whole, split at every index, or byte by byte.
///
/// Bounded: a head over `maxHeadBytes` or a body over `maxBodyBytes` is an error, never a reason to buffer more.
/// Bodies are framed by Content-Length, by chunked encoding, or (without either) by the connection closing.
public struct HTTPClientResponseParser {
    public enum Result: Equatable {
        case incomplete
        /// `consumed` bytes made up the response; `keepAlive` says whether the connection may carry another.
        case complete(HTTPClientResponse, consumed: Int, keepAlive: Bool)
        case invalid(String)
    }

    /// InfluxDB's heads are a few hundred bytes; 16 KiB leaves room for proxies without letting garbage grow.
    public var maxHeadBytes = 16 * 1024
    /// Error bodies name the failed points; 1 MiB is far beyond any of them.
    public var maxBodyBytes = 1 << 20

    public init() {}

    /// `peerClosed`: the connection has reached EOF, which completes a body framed by the close.
    /// `requestWasHead`: not used by the processor, kept false.
    public func parse(_ bytes: [UInt8], peerClosed: Bool) -> Result {
        var offset = 0
        // 1xx answers (100 Continue) precede the real one and carry no body.
        while true {
            guard let headEnd = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: offset) else {
                if bytes.count - offset > maxHeadBytes { return .invalid("response head over \(maxHeadBytes) bytes") }
                if !bytes.isEmpty && !Self.startsLikeStatusLine(bytes[offset...]) {
                    return .invalid("not an HTTP response")
                }
                return peerClosed ? .invalid("connection closed before the response head ended") : .incomplete
            }
            guard headEnd - offset <= maxHeadBytes else { return .invalid("response head over \(maxHeadBytes) bytes") }
            let head = String(decoding: bytes[offset..<headEnd], as: UTF8.self)
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0", parts[1].count == 3,
                let status = Int(parts[1]), (100...599).contains(status)
            else { return .invalid("bad status line \"\(statusLine.prefix(80))\"") }
            var contentLength: Int?
            var chunked = false
            var close = parts[0] == "HTTP/1.0"
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { return .invalid("bad header line") }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingSpaces.lowercased()
                switch name {
                case "content-length":
                    guard let length = Int(value), length >= 0, contentLength == nil || contentLength == length else {
                        return .invalid("bad Content-Length \"\(value)\"")
                    }
                    contentLength = length
                case "transfer-encoding":
                    chunked = value.hasSuffix("chunked")
                case "connection":
                    if value.contains("close") { close = true }
                    if value.contains("keep-alive") && parts[0] == "HTTP/1.0" { close = false }
                default:
                    break
                }
            }
            let bodyStart = headEnd + 4
            if status < 200 {
                offset = bodyStart
                continue
            }
            if status == 204 || status == 304 {
                return .complete(HTTPClientResponse(status: status, body: []), consumed: bodyStart, keepAlive: !close)
            }
            if chunked {
                switch Self.decodeChunked(bytes, from: bodyStart, maxBodyBytes: maxBodyBytes) {
                case .incomplete:
                    return peerClosed ? .invalid("connection closed inside a chunked body") : .incomplete
                case .invalid(let reason):
                    return .invalid(reason)
                case .complete(let body, let end):
                    return .complete(HTTPClientResponse(status: status, body: body), consumed: end, keepAlive: !close)
                }
            }
            if let contentLength {
                guard contentLength <= maxBodyBytes else { return .invalid("response body over \(maxBodyBytes) bytes") }
                guard bytes.count - bodyStart >= contentLength else {
                    return peerClosed ? .invalid("connection closed inside the body") : .incomplete
                }
                let body = Array(bytes[bodyStart..<(bodyStart + contentLength)])
                return .complete(
                    HTTPClientResponse(status: status, body: body), consumed: bodyStart + contentLength,
                    keepAlive: !close)
            }
            // Neither length nor chunks: the body runs until the server closes.
            if bytes.count - bodyStart > maxBodyBytes { return .invalid("response body over \(maxBodyBytes) bytes") }
            guard peerClosed else { return .incomplete }
            return .complete(
                HTTPClientResponse(status: status, body: Array(bytes[bodyStart...])), consumed: bytes.count,
                keepAlive: false)
        }
    }

    private enum ChunkedResult {
        case incomplete
        case invalid(String)
        case complete([UInt8], end: Int)
    }

    private static func decodeChunked(_ bytes: [UInt8], from start: Int, maxBodyBytes: Int) -> ChunkedResult {
        var body: [UInt8] = []
        var offset = start
        while true {
            guard let lineEnd = find([0x0D, 0x0A], in: bytes, from: offset) else {
                return bytes.count - offset > 64 ? .invalid("chunk size line too long") : .incomplete
            }
            let sizeText = String(decoding: bytes[offset..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingSpaces, radix: 16), size >= 0 else {
                return .invalid("bad chunk size")
            }
            guard body.count + size <= maxBodyBytes else { return .invalid("response body over \(maxBodyBytes) bytes") }
            let dataStart = lineEnd + 2
            if size == 0 {
                // Trailers (ignored) end with an empty line.
                guard let trailerEnd = find([0x0D, 0x0A], in: bytes, from: dataStart) else { return .incomplete }
                if trailerEnd == dataStart { return .complete(body, end: dataStart + 2) }
                guard let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: dataStart) else { return .incomplete }
                return .complete(body, end: end + 4)
            }
            guard bytes.count >= dataStart + size + 2 else { return .incomplete }
            guard bytes[dataStart + size] == 0x0D, bytes[dataStart + size + 1] == 0x0A else {
                return .invalid("chunk not followed by CRLF")
            }
            body.append(contentsOf: bytes[dataStart..<(dataStart + size)])
            offset = dataStart + size + 2
        }
    }

    private static func startsLikeStatusLine(_ bytes: ArraySlice<UInt8>) -> Bool {
        let prefix = Array("HTTP/1.".utf8)
        return zip(bytes, prefix).allSatisfy { $0 == $1 }
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var scalars = Array(unicodeScalars.drop { $0 == " " || $0 == "\t" })
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
