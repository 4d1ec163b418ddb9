/// How much of one request the parser will look at before refusing it.
///
/// Each limit bounds what a single peer can make the reactor scan or buffer, and each is detected as soon as the
/// offending byte arrives, so a client cannot hold memory by withholding the CRLF that would end a line.
public struct HTTPParserLimits: Sendable {
    /// Longest request line, excluding its CRLF; beyond it the answer is 414. 8 KiB matches what common servers
    /// accept (nginx's default header buffer), far above any target a telemetry device sends.
    public var maxRequestLineBytes: Int
    /// Total bytes of header field lines, each counted with its CRLF, excluding the request line and the empty line
    /// that ends the head; beyond it the answer is 431. Also applied, separately, to a chunked body's trailers.
    public var maxHeaderBytes: Int
    /// Most header fields one request may carry; beyond it the answer is 431. Bounds the offset table each head
    /// allocates. Also applied, separately, to trailers.
    public var maxHeaderCount: Int
    /// Largest body, counted as decoded payload bytes; beyond it the answer is 413. A telemetry event is a few
    /// hundred bytes, and every accepted body is copied once into the queue, so 1 MiB is generous.
    public var maxBodyBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 1 << 20
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
