/// Bounds on what the decoder accepts from the server, so that a broken or hostile peer costs a protocol error
/// instead of unbounded memory.
///
/// A length is checked when its header arrives, before any byte of the body is buffered for it.
public struct RESPDecoderLimits: Sendable {
    /// Aggregates nested inside each other, the outermost counting as 1; a scalar inside the deepest one is fine.
    public var maxDepth: Int
    /// Elements of one aggregate as written in its header (pairs for maps and attributes).
    public var maxElements: Int
    /// Bytes of one bulk string, blob error or verbatim string.
    public var maxBulkBytes: Int
    /// Bytes of one line (simple string, error, number, length) without its type byte and CRLF. A line still missing
    /// its CRLF beyond this is an error instead of unbounded buffering.
    public var maxLineBytes: Int

    /// 64 levels: no command this gateway sends gets replies deeper than 4, while each level costs a stack frame of
    /// partial state.
    public static let defaultMaxDepth = 64
    /// 1,048,576 elements: Redis' own `proto-max-multibulk-len` default for requests.
    public static let defaultMaxElements = 1 << 20
    /// 64 MiB: far above any value this gateway stores, far below Redis' 512 MiB `proto-max-bulk-len`, so one bad
    /// header cannot make us buffer half a gigabyte.
    public static let defaultMaxBulkBytes = 64 << 20
    /// 64 KiB: Redis' `PROTO_INLINE_MAX_SIZE`.
    public static let defaultMaxLineBytes = 64 * 1024

    public init(
        maxDepth: Int = defaultMaxDepth,
        maxElements: Int = defaultMaxElements,
        maxBulkBytes: Int = defaultMaxBulkBytes,
        maxLineBytes: Int = defaultMaxLineBytes
    ) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxBulkBytes = maxBulkBytes
        self.maxLineBytes = maxLineBytes
    }
}
