/// One step of parsing. After each result the caller drops `consumed` bytes from the front of what it holds and
/// calls `parse` again with the rest, until it gets `.needMore`.
public enum HTTPParseResult: Sendable {
    /// Nothing more can be produced from these bytes. While a head is incomplete `consumed` is 0: the head must stay
    /// contiguous, and the parser resumes scanning where it stopped. Inside a body it may be the framing bytes
    /// (chunk-size lines, CRLFs) the parser has already decoded.
    case needMore(consumed: Int)
    /// A complete, validated request head. `consumed` covers the head and any empty lines before it.
    case head(HTTPRequestHead, consumed: Int)
    /// Body payload at `input[range]`, valid until the caller drops `consumed` bytes.
    case body(Range<Int>, consumed: Int)
    /// The message is complete (after the trailers of a chunked body); the parser is ready for the next request.
    case end(consumed: Int)
    /// The request is refused. Sticky: every later call returns the same error.
    case error(HTTPParseError)
}
