/// The few header fields the parser must understand itself, because they decide where this message ends and
/// whether the connection survives it: Content-Length, Transfer-Encoding, Host, Connection and Expect.
///
/// Framing is where request smuggling lives: if a proxy in front and this server disagree on a body's length, the
/// leftover bytes become a request nobody sent. So every ambiguity is refused rather than resolved (RFC 9112 §6.3,
/// llhttp's defaults with the lenient flags off): Content-Length together with Transfer-Encoding, a repeated
/// Content-Length even with equal values, any Content-Length that is not plain decimal digits, and any
/// Transfer-Encoding other than a single `chunked`.
struct FramingFields {
    private var contentLength: Int?
    private var transferEncodingCount = 0
    private var transferEncodingIsChunked = false
    private var hostCount = 0
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectContinue = false

    /// Notes one header line; fails at once on the errors that a single line can prove.
    mutating func record(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(HTTPParseError) {
        switch name.count {
        case 4 where ASCII.equalsLowercase(name, "host"):
            // Two Host fields name two different origins; which one a proxy routed by is unknowable.
            hostCount += 1
            guard hostCount == 1 else { throw .duplicateHost }
        case 6 where ASCII.equalsLowercase(name, "expect"):
            if ASCII.equalsLowercase(value, "100-continue") { expectContinue = true }
        case 10 where ASCII.equalsLowercase(name, "connection"):
            noteConnectionOptions(value)
        case 14 where ASCII.equalsLowercase(name, "content-length"):
            guard contentLength == nil else { throw .duplicateContentLength }
            contentLength = try Self.parseContentLength(value)
        case 17 where ASCII.equalsLowercase(name, "transfer-encoding"):
            transferEncodingCount += 1
            transferEncodingIsChunked = ASCII.equalsLowercase(value, "chunked")
        default:
            break
        }
    }

    /// Decides the body framing once the whole head is known.
    func framing(version: HTTPVersion, maxBodyBytes: Int) throws(HTTPParseError) -> HTTPBodyFraming {
        if version == .http1_1 && hostCount == 0 { throw .missingHost }
        if transferEncodingCount > 0 {
            // An HTTP/1.0 recipient may not understand Transfer-Encoding at all, so its framing is faulty by
            // definition (RFC 9112 §6.1).
            if version == .http1_0 { throw .transferEncodingInHTTP10 }
            if contentLength != nil { throw .contentLengthWithTransferEncoding }
            // Only a single, final `chunked` is understood; treating anything else as "no body" would let the
            // encoded body be read as the next request.
            guard transferEncodingCount == 1 && transferEncodingIsChunked else {
                throw .unsupportedTransferEncoding
            }
            return .chunked
        }
        if let contentLength {
            // Refused before any body byte is read, so the connection never buffers what it will not accept.
            guard contentLength <= maxBodyBytes else { throw .bodyTooLarge }
            return .contentLength(contentLength)
        }
        return .none
    }

    func keepAlive(version: HTTPVersion) -> Bool {
        switch version {
        case .http1_1: !connectionClose
        case .http1_0: connectionKeepAlive && !connectionClose
        }
    }

    func expectsContinue(version: HTTPVersion) -> Bool {
        version == .http1_1 && expectContinue
    }

    /// Connection is a comma-separated list of options; only `close` and `keep-alive` matter here.
    private mutating func noteConnectionOptions(_ value: UnsafeRawBufferPointer) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last && (value[first] == ByteClass.sp || value[first] == ByteClass.htab) { first += 1 }
            while last > first && (value[last - 1] == ByteClass.sp || value[last - 1] == ByteClass.htab) { last -= 1 }
            let option = UnsafeRawBufferPointer(rebasing: value[first..<last])
            if ASCII.equalsLowercase(option, "close") {
                connectionClose = true
            } else if ASCII.equalsLowercase(option, "keep-alive") {
                connectionKeepAlive = true
            }
            start = end + 1
        }
    }

    /// `Content-Length = 1*DIGIT`, nothing else: no sign, no inner spaces, no list, and no silent wrap-around.
    private static func parseContentLength(_ value: UnsafeRawBufferPointer) throws(HTTPParseError) -> Int {
        guard !value.isEmpty else { throw .emptyContentLength }
        var length = 0
        for byte in value {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { throw .invalidContentLength }
            let (shifted, overflowMultiplying) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdding) = shifted.addingReportingOverflow(Int(digit))
            guard !overflowMultiplying && !overflowAdding else { throw .contentLengthOverflow }
            length = sum
        }
        return length
    }
}
