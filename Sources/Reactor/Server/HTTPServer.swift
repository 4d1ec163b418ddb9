import Glibc

/// An HTTP/1.1 server on one event loop: a listener plus the connections it accepted.
///
/// Everything here runs on the loop thread. Handlers are called on it too, and may answer later from any thread
/// through `HTTPResponder`.
public final class HTTPServer {
    public let loop: EventLoop
    public let configuration: HTTPServerConfiguration
    /// The timeouts and caps every connection's state machine checks, copied out of `configuration` once.
    let connectionLimits: HTTPConnectionStateMachine.Limits
    let handler: any HTTPHandler
    // Mutable state is loop-thread only; dynamic exclusivity checks are off for it (see `HTTPConnection`).
    /// Counts for tests and metrics; given at init so a handler that reports them can exist before the server.
    public let statistics: HTTPServerStatistics
    @exclusivity(unchecked) var dateCache = DateCache()
    @exclusivity(unchecked) private var listener: Listener?
    @exclusivity(unchecked) private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    public private(set) var isDraining = false

    /// Output buffers not lent to any connection (see `HTTPConnection.borrowOutputBufferIfNeeded`). Only connections
    /// that wrote during a tick hold one, so the pool stays around the number of connections active per tick.
    @exclusivity(unchecked) private var spareOutputBuffers: [[UInt8]] = []

    /// The shared read buffer is at least this big: a configured read budget below a page would only make reads
    /// shorter, never save memory worth having (there is one buffer per server).
    static let minimumReadBufferBytes = 4096
    /// Spare request states and output buffers kept for reuse, each pool. Both are lent only while a request arrives
    /// or a response is written, so a pool settles near the connections active in one tick; beyond this, returned
    /// ones are freed rather than kept for a burst that may not come back.
    static let maximumPooled = 1024
    /// The starting capacity of an output buffer: a typical response (status line, five headers, a small JSON body)
    /// fits without growing.
    static let initialOutputBufferBytes = 1024
    /// Output buffers that grew beyond this (a big response, a slow reader) are freed instead of pooled, so the pool
    /// cannot pin megabytes; a typical response needs well under a tenth of it.
    static let maximumPooledOutputBufferBytes = 64 * 1024

    /// One read buffer shared by every connection of this server: connections read into it and keep only the
    /// unparsed tail, so 10,000 idle keep-alive connections hold no input buffers at all.
    let readBuffer: UnsafeMutableRawBufferPointer

    public init(
        loop: EventLoop, configuration: HTTPServerConfiguration, handler: any HTTPHandler,
        statistics: HTTPServerStatistics = HTTPServerStatistics()
    ) {
        self.loop = loop
        self.statistics = statistics
        self.configuration = configuration
        self.connectionLimits = HTTPConnectionStateMachine.Limits(configuration)
        self.handler = handler
        readBuffer = .allocate(
            byteCount: max(configuration.readBudgetPerEvent, Self.minimumReadBufferBytes), alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Binds and starts accepting. Call on the loop thread, or before the loop runs on the thread that will run it.
    /// Returns the bound address (useful with port 0).
    @discardableResult
    public func start() throws(SystemError) -> SocketAddress {
        let listener = try Listener(
            loop: loop, configuration: configuration.listener, statistics: statistics.listener,
            onAccept: { [unowned self] fd in self.accepted(fd) },
            onShed: { [unowned self] fd in self.refuse(fd, .outOfDescriptors) })
        self.listener = listener
        return listener.address
    }

    public var openConnections: Int { connections.count }

    /// Stops accepting, closes idle connections, and lets busy ones finish the requests they have started (the last
    /// response on each carries `Connection: close`). `openConnections` reaches zero when the drain is complete.
    public func beginDraining() {
        guard !isDraining else { return }
        isDraining = true
        listener?.close()
        listener = nil
        for connection in Array(connections.values) {
            connection.drain()
        }
    }

    /// Closes every connection at once (the end of a drain that ran out of time).
    public func closeAll() {
        listener?.close()
        listener = nil
        for connection in Array(connections.values) {
            connection.close()
        }
    }

    private func accepted(_ fd: Int32) {
        statistics.counts.accepted += 1
        // No draining case: draining closes the listener first, so nothing is accepted afterwards (the kernel
        // refuses new connections).
        if configuration.maxConnections > 0 && connections.count >= configuration.maxConnections {
            statistics.counts.refusedOverCapacity += 1
            refuse(fd, .connectionLimitReached)
            return
        }
        let connection = HTTPConnection(fd: fd, server: self)
        do {
            try connection.register()
        } catch {
            Posix.close(fd)
            return
        }
        connections[ObjectIdentifier(connection)] = connection
        statistics.counts.open = connections.count
    }

    /// Best-effort 503 on a socket the server will not serve, then close. The socket is fresh and its send buffer
    /// empty, so the one non-blocking send normally takes the whole response.
    ///
    /// Under load the client's request has often arrived by the time it is accepted. Closing with it unread would
    /// make the kernel send a reset rather than a FIN, which can reach the client before it has read the 503, so
    /// what is already there is read out first. A request that arrives after the close still meets a reset, but by
    /// then the 503 and the FIN are ahead of it.
    func refuse(_ fd: Int32, _ error: HTTPServerError) {
        let response = errorResponse(for: error)
        var out: [UInt8] = []
        ResponseEncoder.append(
            response, framing: .init(keepAlive: false, http10: false, isHead: false), date: &dateCache, to: &out)
        _ = out.withUnsafeBytes { try? Posix.send(fd, $0) }
        Posix.shutdownWrite(fd)
        _ = try? Posix.read(fd, into: readBuffer)
        Posix.close(fd)
    }

    /// What a connection needs only while a request is arriving (the parser alone is ~500 bytes), on loan from the
    /// server so that idle keep-alive connections hold none of it.
    final class InboundRequest {
        @exclusivity(unchecked) var parser: HTTPRequestParser
        @exclusivity(unchecked) var head: HTTPRequestHead?
        @exclusivity(unchecked) var body: [UInt8] = []
        /// A response decided from the head alone (see `HTTPHandler.respondBeforeBody`), sent when the request ends.
        @exclusivity(unchecked) var earlyResponse: HTTPResponse?

        init(_ parser: HTTPRequestParser) { self.parser = parser }

        /// Nothing of a request is held: the state is as good as new and can be lent to another connection.
        var isIdle: Bool { head == nil && body.isEmpty && earlyResponse == nil && parser.isBetweenMessages }
    }

    @exclusivity(unchecked) private var spareInbound: [InboundRequest] = []

    func borrowInbound() -> InboundRequest {
        spareInbound.popLast() ?? InboundRequest(HTTPRequestParser(limits: configuration.limits))
    }

    func returnInbound(_ inbound: InboundRequest) {
        precondition(inbound.isIdle, "only idle request state can be reused")
        if spareInbound.count < Self.maximumPooled { spareInbound.append(inbound) }
    }

    func borrowOutputBuffer() -> [UInt8] {
        if let buffer = spareOutputBuffers.popLast() { return buffer }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.initialOutputBufferBytes)
        return buffer
    }

    /// Takes `buffer` back (emptied) and leaves an empty array in its place. Big buffers, from big responses or a
    /// slow reader, are freed rather than kept.
    func returnOutputBuffer(_ buffer: inout [UInt8]) {
        if buffer.capacity > 0 && buffer.capacity <= Self.maximumPooledOutputBufferBytes
            && spareOutputBuffers.count < Self.maximumPooled
        {
            buffer.removeAll(keepingCapacity: true)
            spareOutputBuffers.append(buffer)
        }
        buffer = []
    }

    func connectionClosed(_ connection: HTTPConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        statistics.counts.open = connections.count
    }

    /// The handler's answer to `error`, with what the error decides: its status, `Connection: close`, and exactly one
    /// `Retry-After` when it calls for one (any the handler added is replaced).
    func errorResponse(for error: HTTPServerError) -> HTTPResponse {
        var response = handler.errorResponse(for: error)
        response.status = error.status
        response.closeConnection = true
        response.headers.removeAll { $0.name.lowercased() == "retry-after" }
        if let seconds = error.retryAfterSeconds {
            response.headers.append((name: "Retry-After", value: String(seconds)))
        }
        return response
    }

    func countRejection(_ error: HTTPServerError) {
        statistics.counts.rejectedByStatus[error.status, default: 0] += 1
    }
}
