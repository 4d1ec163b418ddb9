/// How the body of a request is delimited, decided once from the head (RFC 9112 §6.3).
///
/// A request with neither Content-Length nor Transfer-Encoding has no body (`.none`); it is never read until close,
/// which only responses may do.
public enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}
