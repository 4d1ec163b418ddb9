/// A response as a handler builds it. The server adds the status line, `Date`, `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String?
    /// Extra header fields, e.g. `Retry-After` or `Allow`. Empty for most responses, so it costs no allocation.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Close the connection after this response (the server also closes when the request asked for it).
    public var closeConnection: Bool

    public init(
        status: Int, contentType: String? = nil, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        closeConnection: Bool = false
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }
}

/// A complete request handed to the handler: the parsed head, the whole body, and when the head arrived.
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: [UInt8]
    /// The loop's clock reading at the start of the tick the request completed in; handlers measure latency from it.
    public let receivedAt: MonotonicInstant
    /// The loop's clock reading at the start of the tick in which the request's first byte was read. Equal to
    /// `receivedAt` when the whole request arrived in one read.
    public let firstByteAt: MonotonicInstant

    public init(
        head: HTTPRequestHead, body: [UInt8], receivedAt: MonotonicInstant, firstByteAt: MonotonicInstant? = nil
    ) {
        self.head = head
        self.body = body
        self.receivedAt = receivedAt
        self.firstByteAt = firstByteAt ?? receivedAt
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
}

/// Answers one request. Copyable and callable from any thread: off the loop thread the response hops over with
/// `EventLoop.execute`. The first call wins; later calls, and calls after the connection closed, are ignored.
public struct HTTPResponder: Sendable {
    let connection: HTTPConnection
    let sequence: UInt64

    public func respond(_ response: HTTPResponse) {
        let loop = connection.loop
        if loop.inLoop {
            connection.complete(sequence, with: response)
        } else {
            let connection = self.connection
            let sequence = self.sequence
            loop.execute { connection.complete(sequence, with: response) }
        }
    }
}

/// What the server calls. Every method runs on the loop thread and must not block.
public protocol HTTPHandler: AnyObject {
    /// A complete request. Answer through `responder`, now or later, from any thread.
    func handle(_ request: HTTPRequest, responder: HTTPResponder)

    /// Called when a head arrives, before any body byte is read. Returning a response answers the request at once;
    /// if a body was announced it is never read and the connection closes after the response, since the rest of the
    /// stream can no longer be framed. This is how `Expect: 100-continue` gets a final 4xx instead of a 100.
    func respondBeforeBody(to head: HTTPRequestHead) -> HTTPResponse?

    /// The body of the answer to a request or connection the server refuses itself (malformed, timed out, over the
    /// connection cap, out of descriptors). The server sends it with `error.status`, closes the connection after it,
    /// and adds the one `Retry-After` the error calls for, so none of these can disagree with the error.
    func errorResponse(for error: HTTPServerError) -> HTTPResponse
}

extension HTTPHandler {
    public func respondBeforeBody(to head: HTTPRequestHead) -> HTTPResponse? { nil }

    public func errorResponse(for error: HTTPServerError) -> HTTPResponse {
        HTTPResponse(status: error.status, contentType: "text/plain", body: Array("\(error.reason)\n".utf8))
    }
}
