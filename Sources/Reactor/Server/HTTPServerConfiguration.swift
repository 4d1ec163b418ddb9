/// Every limit and timeout of the HTTP server, with the default and the reason for it.
public struct HTTPServerConfiguration: Sendable {
    public var listener: ListenerConfiguration
    /// Request-line, header and body limits enforced by the parser (8 KiB / 16 KiB / 100 headers / 1 MiB).
    public var limits: HTTPParserLimits
    /// A new connection, or one that has started sending a request, must complete the head within this time.
    /// Defeats slowloris clients that trickle headers to pin a connection forever.
    public var headerTimeout: Duration
    /// The announced body must arrive within this time after the head.
    public var bodyTimeout: Duration
    /// A keep-alive connection with nothing in flight is closed after this time.
    public var idleTimeout: Duration
    /// A client that stops reading its responses is disconnected after this long without write progress.
    public var sendTimeout: Duration
    /// Requests a connection may have waiting for responses before the server stops reading from it. Pipelined
    /// requests beyond this stay in the kernel's socket buffer, which pushes back on the client through TCP.
    public var maxPipelinedRequests: Int
    /// Output bytes buffered per connection beyond which the server stops reading from it until they drain.
    public var maxBufferedOutputBytes: Int
    /// Bytes read from one connection per readiness event, so one fast sender cannot starve the others.
    public var readBudgetPerEvent: Int
    /// Open connections beyond which new ones are answered 503 and closed at once; 0 means no limit except fds.
    public var maxConnections: Int

    public init(
        listener: ListenerConfiguration = .init(), limits: HTTPParserLimits = .init(),
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(60), sendTimeout: Duration = .seconds(30),
        maxPipelinedRequests: Int = 32, maxBufferedOutputBytes: Int = 1 << 20,
        readBudgetPerEvent: Int = 64 * 1024, maxConnections: Int = 0
    ) {
        self.listener = listener
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.sendTimeout = sendTimeout
        self.maxPipelinedRequests = maxPipelinedRequests
        self.maxBufferedOutputBytes = maxBufferedOutputBytes
        self.readBudgetPerEvent = readBudgetPerEvent
        self.maxConnections = maxConnections
    }
}
