import Glibc

/// One accepted HTTP/1.1 connection, owned by the loop thread.
///
/// ### Input
/// Bytes are read into the server's shared buffer and parsed in place. Only an unparsed tail (half a request) is
/// copied into `carry`, so an idle keep-alive connection owns no input buffer.
///
/// ### Output and ordering
/// Every parsed request gets the next sequence number and a slot in `inFlight`. Responses may complete in any order
/// from any thread; a response is serialized into `out` only when every earlier one has been, so pipelined
/// responses always leave in request order. `out` is written once at the end of the tick (`flush`); EPOLLOUT is
/// armed only when the kernel did not take everything.
///
/// ### Phases and deadlines
/// `phase` says what the connection is waiting for, and each phase has one deadline: the head of a request
/// (header timeout, counted from accept or from the request's first byte), its body (body timeout), the next
/// request (idle timeout), the client reading our output (send timeout), or our own handler (none: the handler is
/// bounded by its own timeouts). One loop timer is kept armed at or before the deadline; moving a deadline later
/// costs nothing, the timer re-arms itself when it fires early.
///
/// ### Lingering close
/// Closing a socket that still has unread input makes the kernel send a reset instead of a FIN, and a client still
/// writing a request we refused (a body over the limit, bytes after a framing error) would see "connection reset"
/// in its write instead of our 4xx. After such a refusal the connection sends its response, half-closes, and reads
/// and discards until the client closes too, for at most `lingerLimit`.
///
/// ### Exclusivity checks
/// Every mutable property is touched only on the loop thread, and never through overlapping accesses, so dynamic
/// exclusivity enforcement is turned off for them (`@exclusivity(unchecked)`): with the checks on, a perf profile
/// of GET /health at 1,000 connections spent ~3% of the process in `swift_beginAccess` and its thread-local lookup.
final class HTTPConnection: EventHandler, FlushHandler, TimerHandler, @unchecked Sendable {
    enum Phase: Equatable {
        case awaitingHead(since: MonotonicInstant)
        case awaitingBody(since: MonotonicInstant)
        case idle(since: MonotonicInstant)
        case awaitingHandler
    }

    private struct InFlight {
        var response: HTTPResponse?
        var framing: ResponseEncoder.Framing
    }

    let loop: EventLoop
    /// Strong: the server outlives its connections (it closes them all before it goes), and an unowned reference
    /// would cost a checked retain on every access in the hot path.
    private let server: HTTPServer
    private let fd: Int32
    @exclusivity(unchecked) private var registration: Registration?
    /// The parser and the request being received, borrowed from the server while bytes of a request are here and
    /// returned between requests, so an idle keep-alive connection holds neither.
    @exclusivity(unchecked) private var inbound: HTTPServer.InboundRequest?

    // Input state.
    @exclusivity(unchecked) private var carry: [UInt8] = []
    @exclusivity(unchecked) private var headStartedAt: MonotonicInstant?
    /// When the first byte of the request being parsed was read (for `HTTPRequest.firstByteAt`).
    @exclusivity(unchecked) private var requestFirstByteAt: MonotonicInstant?
    /// The head in progress asked for `100 Continue` while earlier responses were still owed. The 100 cannot go
    /// out before them, so it is sent as soon as they have been, if the body is still awaited then.
    @exclusivity(unchecked) private var continueOwed = false
    @exclusivity(unchecked) private var idleSince: MonotonicInstant
    /// No more requests will be parsed: the client asked to close, sent garbage, half-closed, or we are draining.
    @exclusivity(unchecked) private var inputClosed = false
    /// Input stopped in the middle of the client's stream, so it may still be sending: close by lingering.
    @exclusivity(unchecked) private var inputCutShort = false
    /// The client's EOF has been read.
    @exclusivity(unchecked) private var peerFinished = false
    /// Set once the last response is out and the connection is discarding input before closing.
    @exclusivity(unchecked) private var lingeringSince: MonotonicInstant?
    @exclusivity(unchecked) private var readingPausedForBackpressure = false

    // Output state.
    @exclusivity(unchecked) private var inFlight: [InFlight] = []
    @exclusivity(unchecked) private var inFlightStart = 0
    @exclusivity(unchecked) private var nextSequence: UInt64 = 0
    @exclusivity(unchecked) private var firstInFlightSequence: UInt64 = 0
    @exclusivity(unchecked) private var out: [UInt8] = []
    @exclusivity(unchecked) private var outOffset = 0
    @exclusivity(unchecked) private var flushQueued = false
    @exclusivity(unchecked) private var closeWhenFlushed = false
    /// A send left bytes behind and EPOLLOUT is armed. Output produced during a tick and not yet flushed does not
    /// count: most responses are written whole by the end-of-tick flush and never touch EPOLLOUT or the send timer.
    @exclusivity(unchecked) private var awaitingWritable = false
    @exclusivity(unchecked) private var lastWriteProgress: MonotonicInstant

    // Deadline bookkeeping.
    @exclusivity(unchecked) private var timer: TimerID?
    @exclusivity(unchecked) private var timerDeadline: MonotonicInstant?
    @exclusivity(unchecked) private(set) var closed = false

    /// How long a refused client gets to stop sending before the close: long enough for a client on a slow link to
    /// finish a write of a few hundred KiB and read our answer, short enough that lingering sockets cannot pile up.
    static let lingerLimit: Duration = .seconds(2)

    init(fd: Int32, server: HTTPServer) {
        self.fd = fd
        self.server = server
        self.loop = server.loop
        let now = server.loop.now
        self.headStartedAt = now
        self.idleSince = now
        self.lastWriteProgress = now
    }

    func register() throws(SystemError) {
        registration = try loop.register(fd: fd, interest: .readable, handler: self)
        updateDeadline()
    }

    // MARK: Events

    func handleEvents(_ events: EpollEvents) {
        if events.contains(.writable) {
            writeOutput()
        }
        guard !closed else { return }
        if !events.isDisjoint(with: [.hangup, .error]) && !isReading {
            // A reset peer: nothing more can be delivered. Epoll reports hang-up and error whatever the interest,
            // so while we are not reading, which would discover the reset, the loop would wake for this socket on
            // every tick until the handler answered.
            close()
            return
        }
        if !events.isDisjoint(with: [.readable, .hangup, .error]) {
            readInput()
        }
    }

    private var inFlightCount: Int { inFlight.count - inFlightStart }

    /// Whether the socket's input is wanted: requests are being parsed, or a closing connection is discarding.
    private var isReading: Bool { lingeringSince != nil || !inputClosed && !readingPausedForBackpressure }

    private var phase: Phase {
        if head != nil { return .awaitingBody(since: headStartedAt ?? loop.now) }
        if let headStartedAt { return .awaitingHead(since: headStartedAt) }
        if inFlightCount > 0 { return .awaitingHandler }
        return .idle(since: idleSince)
    }

    private func readInput() {
        if lingeringSince != nil {
            discardInput()
            return
        }
        var budget = server.configuration.readBudgetPerEvent
        while budget > 0 && !closed && !inputClosed && !readingPausedForBackpressure {
            guard let result = readChunk(upTo: budget) else { return }
            switch result {
            case .wouldBlock:
                budget = 0
            case .processed(0):
                peerFinishedSending()
                budget = 0
            case .processed(let count):
                // A short read drained the socket; another read would only return EAGAIN. Epoll is level-triggered,
                // so anything arriving later (the client's EOF included) wakes us again.
                budget = count < min(budget, server.readBuffer.count) ? 0 : budget - count
                consume(UnsafeRawBufferPointer(rebasing: server.readBuffer[0..<count]))
            }
        }
        updateInterest()
        updateDeadline()
    }

    /// One read into the server's shared buffer; nil when the read failed and the connection is closed.
    private func readChunk(upTo budget: Int) -> IOResult<Int>? {
        let space = UnsafeMutableRawBufferPointer(rebasing: server.readBuffer[0..<min(budget, server.readBuffer.count)])
        do {
            return try Posix.read(fd, into: space)
        } catch {
            // ECONNRESET and friends: the client is gone; nothing can be delivered any more.
            close()
            return nil
        }
    }

    /// EOF from the client. A client may half-close after sending its requests and still read the answers, so
    /// the connection stays open until those are written.
    private func peerFinishedSending() {
        inputClosed = true
        peerFinished = true
        carry = []
        if head != nil || inFlightCount == 0 && outOffset == out.count {
            close()
        } else {
            closeWhenFlushed = true
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer) {
        // Nothing buffered and no head in progress: these bytes start the next request.
        if carry.isEmpty && head == nil { requestFirstByteAt = loop.now }
        if carry.isEmpty {
            let consumed = parse(bytes)
            if consumed < bytes.count && !inputClosed {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            carry.append(contentsOf: bytes)
            reparseCarry()
        }
        startHeadClockForBufferedBytes()
        returnInboundIfIdle()
    }

    private func inboundRequest() -> HTTPServer.InboundRequest {
        if let inbound { return inbound }
        let borrowed = server.borrowInbound()
        inbound = borrowed
        return borrowed
    }

    private func returnInboundIfIdle() {
        guard let borrowed = inbound, carry.isEmpty, borrowed.isIdle else { return }
        inbound = nil
        server.returnInbound(borrowed)
    }

    private var head: HTTPRequestHead? {
        get { inbound?.head }
        set { if newValue != nil || inbound != nil { inboundRequest().head = newValue } }
    }

    private var body: [UInt8] {
        get { inbound?.body ?? [] }
        _modify { yield &inboundRequest().body }
    }

    private var earlyResponse: HTTPResponse? {
        get { inbound?.earlyResponse }
        set { if newValue != nil || inbound != nil { inboundRequest().earlyResponse = newValue } }
    }

    /// Buffered bytes that do not yet make a head start the header timeout, unless reading is paused: then they
    /// wait on the server (its handler or its output), not on the client, and the clock starts on resuming.
    private func startHeadClockForBufferedBytes() {
        if !carry.isEmpty && head == nil && headStartedAt == nil && !readingPausedForBackpressure {
            headStartedAt = loop.now
        }
    }

    /// Parses what was held back while paused, then reads from the socket again.
    private func resumeReading() {
        readingPausedForBackpressure = false
        reparseCarry()
        startHeadClockForBufferedBytes()
        updateInterest()
    }

    private func reparseCarry() {
        let consumed = carry.withUnsafeBytes { parse($0) }
        if inputClosed || consumed == carry.count {
            carry = []
        } else if consumed > 0 {
            carry.removeSubrange(0..<consumed)
        }
        returnInboundIfIdle()
    }

    /// Runs the parser over `bytes` until it needs more input, a back-pressure cap is reached, or input closes.
    /// Returns how many bytes were consumed.
    private func parse(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while !inputClosed && !closed {
            // Both caps are checked per request: one read can carry many pipelined requests whose handlers answer
            // at once, and the output cap must hold before the flush at the end of the tick, not only after it.
            let pipelineFull = inFlightCount >= server.configuration.maxPipelinedRequests
            let outputFull = out.count - outOffset >= server.configuration.maxBufferedOutputBytes
            if head == nil && (pipelineFull || outputFull) {
                readingPausedForBackpressure = true
                return offset
            }
            switch inboundRequest().parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .needMore(let consumed):
                return offset + consumed
            case .head(let parsed, let consumed):
                offset += consumed
                beginRequest(parsed)
            case .body(let range, let consumed):
                if earlyResponse == nil {
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(offset + range.lowerBound)..<(offset + range.upperBound)]))
                }
                offset += consumed
            case .end(let consumed):
                offset += consumed
                finishRequest()
            case .error(let error):
                reject(status: error.status, reason: error.reason, midRequest: true)
                return bytes.count
            }
        }
        return offset
    }

    private func beginRequest(_ parsed: HTTPRequestHead) {
        headStartedAt = loop.now
        if let response = server.handler.respondBeforeBody(to: parsed) {
            if parsed.framing == .none {
                earlyResponse = response
                head = parsed
                return
            }
            // The body will not be read, so the stream cannot be framed past it: answer and close.
            inputCutShort = true
            enqueue(response, framing: .init(keepAlive: false, http10: parsed.version == .http1_0, isHead: parsed.method == .head))
            inputClosed = true
            return
        }
        head = parsed
        if case .contentLength(let length) = parsed.framing {
            body.reserveCapacity(length)
        }
        if parsed.expectsContinue && parsed.framing != .none {
            if inFlightCount == 0 {
                borrowOutputBufferIfNeeded()
                out.append(staticString: ResponseEncoder.continueResponse)
                requestFlush()
            } else {
                continueOwed = true
            }
        }
    }

    private func finishRequest() {
        guard let request = head else { return }
        head = nil
        headStartedAt = nil
        continueOwed = false
        let keepAlive = request.keepAlive && !server.isDraining
        if !keepAlive { inputClosed = true }
        let framing = ResponseEncoder.Framing(
            keepAlive: keepAlive, http10: request.version == .http1_0, isHead: request.method == .head)
        let sequence = nextSequence
        nextSequence += 1
        inFlight.append(InFlight(response: nil, framing: framing))
        server.statistics.requests += 1
        if let response = earlyResponse {
            earlyResponse = nil
            complete(sequence, with: response)
            return
        }
        let requestBody = body
        body = []
        server.handler.handle(
            HTTPRequest(head: request, body: requestBody, receivedAt: loop.now, firstByteAt: requestFirstByteAt),
            responder: HTTPResponder(connection: self, sequence: sequence))
    }

    /// A request the server refuses itself: answered in order after earlier responses, then the connection closes
    /// (after a framing error the rest of the stream cannot be trusted). `midRequest` says the client had sent part
    /// of a request, and may still be sending the rest.
    private func reject(status: Int, reason: String, midRequest: Bool) {
        server.countRejection(status: status)
        inputClosed = true
        inputCutShort = midRequest
        carry = []
        head = nil
        headStartedAt = nil
        continueOwed = false
        enqueue(server.handler.errorResponse(status: status, reason: reason),
                framing: .init(keepAlive: false, http10: false, isHead: false))
    }

    /// Appends a response that takes the next sequence number and is already complete.
    private func enqueue(_ response: HTTPResponse, framing: ResponseEncoder.Framing) {
        let sequence = nextSequence
        nextSequence += 1
        inFlight.append(InFlight(response: nil, framing: framing))
        complete(sequence, with: response)
    }

    // MARK: Responses

    func complete(_ sequence: UInt64, with response: HTTPResponse) {
        guard !closed, sequence >= firstInFlightSequence else { return }
        let index = inFlightStart + Int(sequence - firstInFlightSequence)
        guard index < inFlight.count, inFlight[index].response == nil else { return }
        inFlight[index].response = response
        guard index == inFlightStart else { return }

        while inFlightStart < inFlight.count, let ready = inFlight[inFlightStart].response {
            var framing = inFlight[inFlightStart].framing
            if ready.closeConnection || server.isDraining && inputClosed && inFlightStart + 1 == inFlight.count {
                // Draining announces the close on the last response only: earlier requests were already handled,
                // and their answers must not be dropped.
                framing.keepAlive = false
            }
            borrowOutputBufferIfNeeded()
            ResponseEncoder.append(ready, framing: framing, date: &server.dateCache, to: &out)
            inFlight[inFlightStart].response = nil
            inFlightStart += 1
            firstInFlightSequence += 1
            if !framing.keepAlive {
                // Nothing after a closing response may be sent; abandon later requests.
                closeWhenFlushed = true
                inputClosed = true
                inFlight.removeAll()
                inFlightStart = 0
                break
            }
        }
        if inFlightStart == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            inFlightStart = 0
            idleSince = loop.now
            if continueOwed && !inputClosed {
                continueOwed = false
                borrowOutputBufferIfNeeded()
                out.append(staticString: ResponseEncoder.continueResponse)
            }
        }
        requestFlush()
        if readingPausedForBackpressure && inFlightCount < server.configuration.maxPipelinedRequests
            && out.count - outOffset < server.configuration.maxBufferedOutputBytes {
            resumeReading()
        }
        updateDeadline()
    }

    /// Output buffers are lent by the server while a connection has something to write, so an idle connection
    /// holds none and a busy one reuses capacity instead of allocating per response.
    private func borrowOutputBufferIfNeeded() {
        if out.capacity == 0 { out = server.borrowOutputBuffer() }
    }

    private func requestFlush() {
        guard !flushQueued else { return }
        flushQueued = true
        loop.requestFlush(self)
    }

    func flush() {
        flushQueued = false
        guard !closed else { return }
        writeOutput()
    }

    /// One send attempt; leftovers wait for EPOLLOUT.
    private func writeOutput() {
        guard outOffset < out.count else {
            finishIfDone()
            return
        }
        let result: IOResult<Int>
        do {
            result = try out.withUnsafeBytes { try Posix.send(fd, UnsafeRawBufferPointer(rebasing: $0[outOffset...])) }
        } catch {
            close()
            return
        }
        if case .processed(let written) = result, written > 0 {
            outOffset += written
            lastWriteProgress = loop.now
        } else if !awaitingWritable {
            lastWriteProgress = loop.now
        }
        awaitingWritable = outOffset < out.count
        if outOffset == out.count {
            server.returnOutputBuffer(&out)
            outOffset = 0
            if readingPausedForBackpressure && inFlightCount < server.configuration.maxPipelinedRequests {
                resumeReading()
            }
        } else if out.count - outOffset >= server.configuration.maxBufferedOutputBytes {
            readingPausedForBackpressure = true
        }
        updateInterest()
        updateDeadline()
        finishIfDone()
    }

    private func finishIfDone() {
        guard closeWhenFlushed && lingeringSince == nil && outOffset == out.count && inputClosed && inFlightCount == 0
        else { return }
        if inputCutShort && !peerFinished {
            beginLingering()
        } else {
            close()
        }
    }

    /// Every response is out: send our FIN behind it and discard whatever the client still sends.
    private func beginLingering() {
        lingeringSince = loop.now
        Posix.shutdownWrite(fd)
        discardInput()
        updateInterest()
        updateDeadline()
    }

    /// Reads and drops input while lingering; the client's EOF, or any error, ends the connection.
    private func discardInput() {
        var budget = server.configuration.readBudgetPerEvent
        while budget > 0 && !closed {
            guard let result = readChunk(upTo: budget) else { return }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                close()
                return
            case .processed(let count):
                budget -= count
            }
        }
    }

    private func updateInterest() {
        guard let registration, !closed else { return }
        var interest: EpollEvents = []
        if isReading { interest.insert(.readable) }
        if awaitingWritable { interest.insert(.writable) }
        do {
            try loop.modify(registration, interest: interest)
        } catch {
            close()
        }
    }

    // MARK: Draining and closing

    /// Server shutdown: an idle connection closes now; a busy one finishes what it has and then closes.
    func drain() {
        if head == nil {
            inputClosed = true
            carry = []
            headStartedAt = nil
        }
        closeWhenFlushed = true
        if inFlightCount == 0 && head == nil && outOffset == out.count {
            close()
            return
        }
        updateInterest()
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        if let registration { loop.deregister(registration) }
        registration = nil
        Posix.close(fd)
        carry = []
        // A half-received request is dropped with its state; idle state goes back to the pool.
        returnInboundIfIdle()
        inbound = nil
        server.returnOutputBuffer(&out)
        inFlight = []
        server.connectionClosed(self)
    }

    // MARK: Deadlines

    private var deadline: MonotonicInstant? {
        let configuration = server.configuration
        if let lingeringSince {
            return lingeringSince + Self.lingerLimit
        }
        if awaitingWritable {
            return lastWriteProgress + configuration.sendTimeout
        }
        switch phase {
        case .awaitingHead(let since): return since + configuration.headerTimeout
        case .awaitingBody(let since): return since + configuration.bodyTimeout
        case .idle(let since): return since + configuration.idleTimeout
        case .awaitingHandler: return nil
        }
    }

    private func updateDeadline() {
        guard !closed, let deadline else { return }
        if let armed = timerDeadline, armed <= deadline { return }
        if let timer { loop.cancelTimer(timer) }
        timerDeadline = deadline
        timer = loop.scheduleTimer(at: deadline, handler: self)
    }

    func timerFired() {
        timer = nil
        timerDeadline = nil
        guard !closed, let deadline else { return }
        if deadline > loop.now {
            updateDeadline()
            return
        }
        timedOut()
    }

    private func timedOut() {
        if lingeringSince != nil {
            close()
            return
        }
        if awaitingWritable {
            server.statistics.sendTimeouts += 1
            close()
            return
        }
        switch phase {
        case .awaitingHead, .awaitingBody:
            if case .awaitingBody = phase { server.statistics.bodyTimeouts += 1 } else { server.statistics.headerTimeouts += 1 }
            // Earlier requests are complete and may already have had effects; their answers go out first.
            reject(status: 408, reason: "request timeout", midRequest: head != nil || !carry.isEmpty)
        case .idle:
            server.statistics.idleTimeouts += 1
            close()
        case .awaitingHandler:
            break
        }
    }
}
