/// Bounds on what the decoder accepts from the server, so that a broken or hostile peer costs a protocol error
/// instead of unbounded memory.
///
/// A length is checked when its header arrives, before any byte of the body is buffered for it.
public struct RESPDecoderLimits: Sendable {
    /// Aggregates nested inside each other, the outermost counting as 1; a scalar inside the deepest one is fine.
    /// 64 because no command this gateway sends gets replies deeper than 4, while each level costs a stack frame of
    /// partial state.
    public var maxDepth: Int
    /// Elements of one aggregate as written in its header (pairs for maps and attributes). 1 << 20 matches Redis'
    /// own `proto-max-multibulk-len` default for requests.
    public var maxElements: Int
    /// Bytes of one bulk string, blob error or verbatim string. 64 MiB: far above any value this gateway stores, far
    /// below Redis' 512 MiB `proto-max-bulk-len`, so one bad header cannot make us buffer half a gigabyte.
    public var maxBulkBytes: Int
    /// Bytes of one line (simple string, error, number, length) without its type byte and CRLF. A line still missing
    /// its CRLF beyond this is an error instead of unbounded buffering; 64 KiB is Redis' `PROTO_INLINE_MAX_SIZE`.
    public var maxLineBytes: Int

    public init(
        maxDepth: Int = 64,
        maxElements: Int = 1 << 20,
        maxBulkBytes: Int = 64 << 20,
        maxLineBytes: Int = 64 * 1024
    ) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxBulkBytes = maxBulkBytes
        self.maxLineBytes = maxLineBytes
    }
}
