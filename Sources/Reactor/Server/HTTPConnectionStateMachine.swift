/// What one HTTP/1.1 connection is doing, with no I/O: the phase, the responses owed in request order, back-pressure,
/// the write side, and the one deadline that follows from them.
///
/// `HTTPConnection` is the I/O shell: it reads, parses, serializes, sends and keeps the timer. It tells this type what
/// happened (a head, the end of a request, a framing error, a response completed, a send, the client's EOF, a timer,
/// a drain) and does what the answer says (send `100 Continue`, serialize, resume parsing, start lingering, close).
/// Epoll interest and the timer are read back after each event: `isReading`, `awaitingWritable`, `deadline(_:)`.
/// Nothing here touches a socket or a clock, so `HTTPConnectionStateMachineTests` drives every transition with
/// plain instants, as NIO's and Hummingbird's HTTP state machines are tested apart from their channel handlers.
///
/// Why lingering: closing a socket that still has unread input makes the kernel send a reset instead of a FIN, and a
/// client still writing a request we refused (a body over the limit, bytes after a framing error) would see
/// "connection reset" in its write instead of our 4xx. After such a refusal the connection sends its response,
/// half-closes, and reads and discards until the client closes too, for at most `lingerLimit`.
///
/// A value type stored inline in the connection: no allocation beyond the array of owed responses, whose capacity
/// is kept between requests.
struct HTTPConnectionStateMachine {
    /// How far the connection has come. This is the phase table of docs/ARCHITECTURE.md ("An HTTP connection").
    enum Phase: Equatable {
        /// Requests are read and parsed.
        case reading(RequestProgress)
        /// No more requests will be parsed: the client asked to close, half-closed or sent garbage, a request was
        /// refused or timed out, or the server is draining. The responses owed are written, then the connection
        /// closes, or lingers if `thenLinger`: input stopped in the middle of the client's stream, so the client may
        /// still be sending, and closing with unread input would reset the connection under our answer.
        case finishing(thenLinger: Bool)
        /// Every response is out and our FIN is behind it; input is read and dropped until the client closes too,
        /// for at most `lingerLimit`.
        case lingering(since: MonotonicInstant)
        case closed
    }

    /// How far the next request has come while the connection is reading.
    enum RequestProgress: Equatable {
        /// Nothing of it is here, or its bytes wait out back-pressure (then they wait on us, not on the client).
        /// With responses owed this is "awaiting handler" (no deadline: the handler has its own timeouts), with none
        /// "idle" (the idle timeout).
        case none
        /// Part of a head, or nothing yet on a new connection: the header timeout runs from `since` (slowloris).
        case head(since: MonotonicInstant)
        /// The head is complete; its body is read under the body timeout, counted from the head. `continueOwed`:
        /// the head asked for `100 Continue` while earlier responses were owed, and a 100 cannot overtake them.
        case body(since: MonotonicInstant, continueOwed: Bool)
    }

    /// The write side.
    enum Output: Equatable {
        /// Whatever is unsent goes out with the end-of-tick flush. Most responses are written whole there and never
        /// touch EPOLLOUT or the send timeout.
        case flushing
        /// A send left bytes behind and EPOLLOUT is wanted; the send timeout counts from the last progress.
        case awaitingWritable(lastProgress: MonotonicInstant)
    }

    enum Timeout: Equatable { case header, body, idle, send, linger }

    /// What to do after a head that the handler did not answer early.
    enum HeadAction: Equatable {
        case readBody
        /// Nothing is owed before it, so `100 Continue` goes out now.
        case sendContinueAndReadBody
    }

    /// What to do after a head that the handler answered from the head alone (`HTTPHandler.respondBeforeBody`).
    enum EarlyAnswer: Equatable {
        /// No body was announced: keep the answer and send it when the request ends.
        case holdUntilEnd
        /// A body was announced and will not be read, so the stream cannot be framed past it: answer in `sequence`
        /// and read no more.
        case refuse(sequence: UInt64)
    }

    /// Whether an event ends the connection.
    enum Next: Equatable {
        case proceed
        case close
        /// Shut our side down and discard input until the client closes.
        case startLingering
    }

    enum TimerAction: Equatable {
        /// No deadline applies any more (the handler has the request).
        case none
        /// The deadline moved later since the timer was armed.
        case rearm
        case close(Timeout)
        /// The request in progress timed out: answer 408 in `sequence`, after the earlier responses, then close.
        case reject(Timeout, sequence: UInt64)
    }

    /// The configuration's timeouts and back-pressure caps, copied once per server: trivial to pass, no reference
    /// counting on the hot path.
    struct Limits {
        var headerTimeout: Duration
        var bodyTimeout: Duration
        var idleTimeout: Duration
        var sendTimeout: Duration
        var maxPipelinedRequests: Int
        var maxBufferedOutputBytes: Int

        init(_ configuration: HTTPServerConfiguration) {
            headerTimeout = configuration.headerTimeout
            bodyTimeout = configuration.bodyTimeout
            idleTimeout = configuration.idleTimeout
            sendTimeout = configuration.sendTimeout
            maxPipelinedRequests = configuration.maxPipelinedRequests
            maxBufferedOutputBytes = configuration.maxBufferedOutputBytes
        }
    }

    /// How long a refused client gets to stop sending before the close: long enough for a client on a slow link to
    /// finish a write of a few hundred KiB and read our answer, short enough that lingering sockets cannot pile up.
    static let lingerLimit: Duration = .seconds(2)

    private(set) var phase: Phase
    private(set) var output: Output = .flushing
    /// Reading stopped because `maxPipelinedRequests` responses are owed or `maxBufferedOutputBytes` are unsent. The
    /// client's bytes stay in the kernel's socket buffer, which pushes back on it through TCP. Orthogonal to the
    /// phase: a big response can pause a connection in the middle of the next request's body.
    private(set) var readingPaused = false
    /// When the last owed response was serialized: the idle timeout counts from here.
    private(set) var idleSince: MonotonicInstant
    /// When the first byte of the request being parsed was read (for `HTTPRequest.firstByteAt`).
    private(set) var requestFirstByteAt: MonotonicInstant?

    /// One slot per request answered or to be answered, oldest first; a response is kept here until every earlier
    /// one has been serialized. A `FIFO`: no allocation per request once it has grown.
    private struct Owed {
        var response: HTTPResponse?
        var framing: ResponseEncoder.Framing
    }
    private var owed = FIFO<Owed>()
    private var nextSequence: UInt64 = 0
    private var firstOwedSequence: UInt64 = 0

    init(acceptedAt now: MonotonicInstant) {
        phase = .reading(.head(since: now))
        idleSince = now
    }

    // MARK: Derived state

    var owedCount: Int { owed.count }
    var isClosed: Bool { if case .closed = phase { true } else { false } }
    var isLingering: Bool { if case .lingering = phase { true } else { false } }
    /// More requests may arrive (input is not closed), whether or not reading is paused.
    var acceptsRequests: Bool { if case .reading = phase { true } else { false } }
    /// Bytes from the socket are parsed now.
    var isParsing: Bool { acceptsRequests && !readingPaused }
    /// The socket's input is wanted: requests are parsed, or a closing connection is discarding.
    var isReading: Bool { isParsing || isLingering }
    var awaitingWritable: Bool { if case .awaitingWritable = output { true } else { false } }
    var isReceivingBody: Bool { if case .reading(.body) = phase { true } else { false } }

    /// The one deadline of the current state, nil when none applies. The shell keeps a timer at or before it.
    @inline(__always)  // called after every event; out of line it copies the whole machine out of the connection
    func deadline(_ limits: Limits) -> MonotonicInstant? {
        switch phase {
        case .lingering(let since): return since + Self.lingerLimit
        case .closed: return nil
        case .reading, .finishing: break
        }
        if case .awaitingWritable(let lastProgress) = output { return lastProgress + limits.sendTimeout }
        guard case .reading(let progress) = phase else { return nil }
        switch progress {
        case .head(let since): return since + limits.headerTimeout
        case .body(let since, _): return since + limits.bodyTimeout
        case .none: return owedCount == 0 ? idleSince + limits.idleTimeout : nil
        }
    }

    // MARK: Input

    /// Bytes were read. With nothing buffered and no body in progress they start the next request.
    mutating func bytesRead(at now: MonotonicInstant, nothingBuffered: Bool) {
        if nothingBuffered && !isReceivingBody { requestFirstByteAt = now }
    }

    /// Bytes that do not make a head yet are buffered: they start the header clock, unless reading is paused (then
    /// they wait on us, and the clock starts when reading resumes).
    mutating func partialRequestBuffered(at now: MonotonicInstant) {
        if case .reading(.none) = phase, !readingPaused { phase = .reading(.head(since: now)) }
    }

    /// Asked before each request is parsed: one read can carry many pipelined requests whose handlers answer at
    /// once, and the output cap must hold before the end-of-tick flush, not only after it. False: pause reading.
    mutating func mayParseNextRequest(unsentBytes: Int, _ limits: Limits) -> Bool {
        if isReceivingBody { return true }
        if owedCount >= limits.maxPipelinedRequests || unsentBytes >= limits.maxBufferedOutputBytes {
            readingPaused = true
            return false
        }
        return true
    }

    /// A head arrived and the handler will see the whole request.
    mutating func headReceived(_ head: HTTPRequestHead, at now: MonotonicInstant) -> HeadAction {
        let wantsContinue = head.expectsContinue && head.framing != .none
        phase = .reading(.body(since: now, continueOwed: wantsContinue && owedCount > 0))
        return wantsContinue && owedCount == 0 ? .sendContinueAndReadBody : .readBody
    }

    /// A head arrived and the handler answered it from the head alone.
    mutating func headAnsweredEarly(_ head: HTTPRequestHead, at now: MonotonicInstant) -> EarlyAnswer {
        guard head.framing != .none else {
            phase = .reading(.body(since: now, continueOwed: false))
            return .holdUntilEnd
        }
        phase = .finishing(thenLinger: true)
        let framing = ResponseEncoder.Framing(
            keepAlive: false, http10: head.version == .http1_0, isHead: head.method == .head)
        return .refuse(sequence: owe(framing))
    }

    /// The request is complete. Returns the sequence number its response must be completed with.
    mutating func requestEnded(_ head: HTTPRequestHead, isDraining: Bool) -> UInt64 {
        let keepAlive = head.keepAlive && !isDraining
        phase = keepAlive ? .reading(.none) : .finishing(thenLinger: false)
        return owe(.init(keepAlive: keepAlive, http10: head.version == .http1_0, isHead: head.method == .head))
    }

    /// The server refuses the request in progress (a framing error, or a timeout): its answer goes out after the
    /// earlier responses, then the connection closes, since the rest of the stream cannot be trusted. `midRequest`:
    /// the client had sent part of a request and may still be sending. Returns the refusal's sequence number.
    mutating func requestRejected(midRequest: Bool) -> UInt64 {
        phase = .finishing(thenLinger: midRequest)
        return owe(.init(keepAlive: false, http10: false, isHead: false))
    }

    /// The client's EOF. A client may half-close after sending its requests and still read the answers, so those
    /// are written first; a request cut off in its body can never complete, and neither can a partial head.
    mutating func peerClosed(unsentBytes: Int) -> Next {
        if isReceivingBody || owedCount == 0 && unsentBytes == 0 { return .close }
        phase = .finishing(thenLinger: false)
        return .proceed
    }

    /// Server shutdown: an idle connection closes now; a busy one finishes what it has (a body in progress
    /// included, whose response then says `Connection: close`) and then closes.
    mutating func drainRequested(unsentBytes: Int) -> Next {
        switch phase {
        case .reading(.body), .closed: return .proceed
        case .reading: phase = .finishing(thenLinger: false)
        case .finishing, .lingering: break
        }
        return owedCount == 0 && unsentBytes == 0 ? .close : .proceed
    }

    // MARK: Responses

    private mutating func owe(_ framing: ResponseEncoder.Framing) -> UInt64 {
        owed.append(Owed(response: nil, framing: framing))
        defer { nextSequence += 1 }
        return nextSequence
    }

    /// Keeps the response for `sequence`. Returns whether responses can be serialized now, that is whether it is
    /// the oldest owed. Later and duplicate answers, and answers after the close, are dropped.
    mutating func responseCompleted(_ sequence: UInt64, _ response: HTTPResponse) -> Bool {
        guard !isClosed, sequence >= firstOwedSequence else { return false }
        let offset = Int(sequence - firstOwedSequence)
        guard offset < owed.count, owed[offset: offset].response == nil else { return false }
        owed[offset: offset].response = response
        return offset == 0
    }

    /// The oldest owed response if it is ready, and how to frame it; call until nil, then `responsesSerialized`.
    mutating func nextResponseToSerialize(isDraining: Bool) -> (HTTPResponse, ResponseEncoder.Framing)? {
        guard !owed.isEmpty, let ready = owed[offset: 0].response.take() else { return nil }
        var framing = owed[offset: 0].framing
        if ready.closeConnection || isDraining && !acceptsRequests && owed.count == 1 {
            // Draining announces the close on the last response only: earlier requests were already handled, and
            // their answers must not be dropped.
            framing.keepAlive = false
        }
        _ = owed.popFirst()
        firstOwedSequence += 1
        if !framing.keepAlive {
            // Nothing after a closing response may be sent: later requests are abandoned.
            if acceptsRequests { phase = .finishing(thenLinger: false) }
            owed = FIFO()
        }
        return (ready, framing)
    }

    /// Serialization stopped. Returns whether a `100 Continue` owed behind the responses just serialized goes out
    /// now (the body is still awaited).
    mutating func responsesSerialized(at now: MonotonicInstant) -> Bool {
        guard owed.isEmpty else { return false }
        idleSince = now
        guard case .reading(.body(let since, continueOwed: true)) = phase else { return false }
        phase = .reading(.body(since: since, continueOwed: false))
        return true
    }

    /// Reading resumes once both back-pressure caps are clear. True: it did, and the shell parses what it held back.
    mutating func resumeIfBelowLimits(unsentBytes: Int, _ limits: Limits) -> Bool {
        guard readingPaused, owedCount < limits.maxPipelinedRequests, unsentBytes < limits.maxBufferedOutputBytes
        else { return false }
        readingPaused = false
        return true
    }

    // MARK: Output

    /// One send took `written` bytes and left `unsent`. Returns whether reading resumes.
    mutating func wrote(_ written: Int, unsent: Int, at now: MonotonicInstant, _ limits: Limits) -> Bool {
        guard unsent > 0 else {
            output = .flushing
            return resumeIfBelowLimits(unsentBytes: 0, limits)
        }
        if written > 0 || !awaitingWritable { output = .awaitingWritable(lastProgress: now) }
        if unsent >= limits.maxBufferedOutputBytes { readingPaused = true }
        return false
    }

    /// Every byte is written. A finishing connection with nothing more owed closes now, or first lingers.
    mutating func outputDrained(at now: MonotonicInstant) -> Next {
        guard case .finishing(let thenLinger) = phase, owedCount == 0 else { return .proceed }
        guard thenLinger else { return .close }
        phase = .lingering(since: now)
        return .startLingering
    }

    // MARK: Time and the end

    /// The connection's timer fired. `hasBufferedBytes`: part of a head is buffered, so a header timeout is a
    /// refusal in the middle of the client's stream.
    mutating func timerFired(at now: MonotonicInstant, hasBufferedBytes: Bool, _ limits: Limits) -> TimerAction {
        guard let deadline = deadline(limits) else { return .none }
        if deadline > now { return .rearm }
        if isLingering { return .close(.linger) }
        if awaitingWritable { return .close(.send) }
        guard case .reading(let progress) = phase else { return .none }
        switch progress {
        // Earlier requests are complete and may already have had effects; their answers go out first.
        case .head: return .reject(.header, sequence: requestRejected(midRequest: hasBufferedBytes))
        case .body: return .reject(.body, sequence: requestRejected(midRequest: true))
        case .none: return .close(.idle)
        }
    }

    /// Marks the connection closed and drops what is owed. False if it already was.
    mutating func close() -> Bool {
        guard !isClosed else { return false }
        phase = .closed
        owed = FIFO()
        return true
    }
}
