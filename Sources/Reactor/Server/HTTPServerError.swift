/// Why the server answered a request, or a connection, itself instead of calling the handler's `handle`. Each case
/// maps to exactly one status here and nowhere else; the handler's `errorResponse(for:)` supplies only the body.
public enum HTTPServerError: Error, Equatable, Sendable {
    /// The request broke a rule of HTTP/1.1 syntax or framing, or a parser limit; `HTTPParseError` says which.
    case malformedRequest(HTTPParseError)
    /// The head did not arrive within `headerTimeout` (slowloris), or the announced body within `bodyTimeout`.
    case requestTimeout(RequestPart)
    /// `maxConnections` connections are open: a new one is answered and closed at once.
    case connectionLimitReached
    /// The process ran out of file descriptors: the listener freed its spare one only to accept, answer and close.
    case outOfDescriptors

    /// The part of a request that a timeout was waiting for.
    public enum RequestPart: Equatable, Sendable {
        case head, body
    }

    public var status: Int {
        switch self {
        case .malformedRequest(let error): error.status
        case .requestTimeout: 408
        case .connectionLimitReached, .outOfDescriptors: 503
        }
    }

    /// A short explanation that is safe to put in the response body.
    public var reason: String {
        switch self {
        case .malformedRequest(let error): error.reason
        case .requestTimeout: "request timeout"
        case .connectionLimitReached: "too many connections"
        case .outOfDescriptors: "out of file descriptors"
        }
    }

    /// The `Retry-After` seconds for refusals caused by load rather than by the request, nil for the rest. One second:
    /// connections close within milliseconds under load, so the next attempt has a fair chance.
    public var retryAfterSeconds: Int? {
        switch self {
        case .connectionLimitReached, .outOfDescriptors: 1
        case .malformedRequest, .requestTimeout: nil
        }
    }
}
