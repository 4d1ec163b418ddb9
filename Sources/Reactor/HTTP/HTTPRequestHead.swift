/// An owned copy of a validated request head: one `[UInt8]` holding the request line and header lines, and one
/// table of header offsets. Nothing else is allocated per request.
///
/// It outlives the read buffer it was parsed from, so the connection may compact or reuse that buffer at once.
/// The String accessors decode on every call and belong at the edges (logs, errors); hot paths use `pathEquals`,
/// `withPathBytes` and the byte-level `HTTPHeaders` accessors.
public struct HTTPRequestHead: Sendable {
    public let headers: HTTPHeaders
    public let version: HTTPVersion
    public let framing: HTTPBodyFraming
    /// HTTP/1.1: true unless a Connection header says `close`. HTTP/1.0: true only with `keep-alive` (and no
    /// `close`).
    public let keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request. An HTTP/1.0 client cannot understand a 100 response, so the
    /// expectation is ignored there (RFC 9110 §10.1.1).
    public let expectsContinue: Bool

    private let line: RequestLine

    init(
        bytes: [UInt8],
        fields: [HTTPHeaders.Field],
        line: RequestLine,
        framing: HTTPBodyFraming,
        keepAlive: Bool,
        expectsContinue: Bool
    ) {
        self.headers = HTTPHeaders(bytes: bytes, fields: fields)
        self.version = line.version
        self.line = line
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    public var method: HTTPMethod {
        line.knownMethod.map(HTTPMethod.init) ?? .other(string(0..<line.methodLength))
    }

    /// The request-target exactly as sent, e.g. `/telemetry?x=1`.
    public var target: String { string(line.target) }

    /// The path: the target before `?`. For an absolute-form target (`http://host/p?q`) it is the path component,
    /// `/` when the URI has none; for asterisk-form it is `*`; for CONNECT's authority-form, the whole authority.
    public var path: String {
        line.pathIsImplicitRoot ? "/" : string(line.path)
    }

    /// The text after the first `?`, nil when the target has no `?`.
    public var query: String? {
        line.query.map(string)
    }

    /// Byte comparison of the path with a literal, case-sensitive as paths are; builds no String.
    public func pathEquals(_ literal: StaticString) -> Bool {
        withPathBytes { ByteClass.equals($0, literal) }
    }

    /// Calls body with the raw path bytes (see `path`), for routing without String work.
    public func withPathBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if line.pathIsImplicitRoot {
            let root: StaticString = "/"
            return try body(UnsafeRawBufferPointer(start: root.utf8Start, count: root.utf8CodeUnitCount))
        }
        return try headers.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[line.path])) }
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: headers.bytes[range], as: UTF8.self)
    }
}

/// The request line as offsets into the head's bytes (which start at the method), filled in while scanning.
struct RequestLine: Sendable {
    /// nil for a method outside `HTTPMethod`'s named cases; its bytes are then decoded on demand.
    var knownMethod: HTTPMethod.Registered?
    var methodLength = 0
    var target = 0..<0
    var path = 0..<0
    var query: Range<Int>?
    /// An absolute-form target with an empty path, which means `/` (RFC 9110 §4.2.3).
    var pathIsImplicitRoot = false
    var version = HTTPVersion.http1_1
}
