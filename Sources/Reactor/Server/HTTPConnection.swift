import Glibc

/// One accepted HTTP/1.1 connection, owned by the loop thread: the I/O shell around `HTTPConnectionStateMachine`.
///
/// The machine decides (phase, deadline, response order, back-pressure, lingering close); this class reads, parses
/// (`HTTPConnection+Requests.swift`), calls the handler, serializes and sends, applies what the machine answered,
/// and after each event reads back the epoll interest (`isReading`, `awaitingWritable`) and the deadline.
///
/// ### Hot path
/// - Bytes are read into the server's shared buffer and parsed in place; only an unparsed tail is copied into `carry`.
///   The parser and request state (`HTTPServer.borrowInbound`) and the output buffer (`borrowOutputBuffer`) are lent
///   while in use, so an idle keep-alive connection owns no buffer and no parser.
/// - `out` is written once at the end of the tick (`flush`, one send per tick); EPOLLOUT is armed only when the
///   kernel did not take everything.
/// - One loop timer is kept armed at or before the machine's deadline. Moving the deadline later costs nothing (no
///   timer-heap work): the timer re-arms itself when it fires early.
/// - Every mutable property is touched only on the loop thread, and never through overlapping accesses, so dynamic
///   exclusivity enforcement is turned off for them (`@exclusivity(unchecked)`): with the checks on, a perf profile
///   of GET /health at 1,000 connections spent ~3% of the process in `swift_beginAccess` and its thread-local lookup.
///   Members are internal rather than private only so that the requests extension can reach them.
final class HTTPConnection: EventHandler, FlushHandler, TimerHandler, @unchecked Sendable {
    let loop: EventLoop
    /// Strong: the server outlives its connections (it closes them all before it goes), and an unowned reference
    /// would cost a checked retain on every access in the hot path.
    let server: HTTPServer
    private let fd: Int32
    @exclusivity(unchecked) var machine: HTTPConnectionStateMachine
    @exclusivity(unchecked) private var registration: Registration?
    /// The parser and the request being received, borrowed from the server while bytes of a request are here and
    /// returned between requests, so an idle keep-alive connection holds neither.
    @exclusivity(unchecked) var inbound: HTTPServer.InboundRequest?
    @exclusivity(unchecked) var carry: [UInt8] = []
    @exclusivity(unchecked) var out: [UInt8] = []
    @exclusivity(unchecked) private var outOffset = 0
    @exclusivity(unchecked) private var flushQueued = false
    @exclusivity(unchecked) private var timer: TimerID?
    @exclusivity(unchecked) private var timerDeadline: MonotonicInstant?

    init(fd: Int32, server: HTTPServer) {
        self.fd = fd
        self.server = server
        self.loop = server.loop
        self.machine = HTTPConnectionStateMachine(acceptedAt: server.loop.now)
    }

    func register() throws(SystemError) {
        registration = try loop.register(fd: fd, interest: .readable, handler: self)
        updateDeadline()
    }

    var limits: HTTPConnectionStateMachine.Limits { server.connectionLimits }
    var unsentBytes: Int { out.count - outOffset }

    // MARK: Input

    func handleEvents(_ events: EpollEvents) {
        if events.contains(.writable) {
            writeOutput()
        }
        guard !machine.isClosed else { return }
        if !events.isDisjoint(with: [.hangup, .error]) && !machine.isReading {
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

    private func readInput() {
        if machine.isLingering {
            discardInput()
            return
        }
        var budget = server.configuration.readBudgetPerEvent
        while budget > 0 && machine.isParsing {
            guard let result = readChunk(upTo: budget) else { return }
            switch result {
            case .wouldBlock:
                budget = 0
            case .processed(0):
                carry = []
                if machine.peerClosed(unsentBytes: unsentBytes) == .close { close() }
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

    // MARK: Output

    func complete(_ sequence: UInt64, with response: HTTPResponse) {
        guard machine.responseCompleted(sequence, response) else { return }
        while let (ready, framing) = machine.nextResponseToSerialize(isDraining: server.isDraining) {
            borrowOutputBufferIfNeeded()
            ResponseEncoder.append(ready, framing: framing, date: &server.dateCache, to: &out)
        }
        if machine.responsesSerialized(at: loop.now) {
            borrowOutputBufferIfNeeded()
            out.append(staticString: ResponseEncoder.continueResponse)
        }
        requestFlush()
        if machine.resumeIfBelowLimits(unsentBytes: unsentBytes, limits) {
            resumeReading()
        }
        updateDeadline()
    }

    /// Output buffers are lent by the server while a connection has something to write, so an idle connection
    /// holds none and a busy one reuses capacity instead of allocating per response.
    func borrowOutputBufferIfNeeded() {
        if out.capacity == 0 { out = server.borrowOutputBuffer() }
    }

    func requestFlush() {
        guard !flushQueued else { return }
        flushQueued = true
        loop.requestFlush(self)
    }

    func flush() {
        flushQueued = false
        guard !machine.isClosed else { return }
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
        var written = 0
        if case .processed(let count) = result { written = count }
        outOffset += written
        let resume = machine.wrote(written, unsent: unsentBytes, at: loop.now, limits)
        if outOffset == out.count {
            server.returnOutputBuffer(&out)
            outOffset = 0
        }
        if resume { resumeReading() }
        updateInterest()
        updateDeadline()
        finishIfDone()
    }

    private func finishIfDone() {
        guard outOffset == out.count else { return }
        switch machine.outputDrained(at: loop.now) {
        case .proceed:
            break
        case .close:
            close()
        case .startLingering:
            // Every response is out: send our FIN behind it and discard whatever the client still sends.
            Posix.shutdownWrite(fd)
            discardInput()
            updateInterest()
            updateDeadline()
        }
    }

    /// Reads and drops input while lingering; the client's EOF, or any error, ends the connection.
    private func discardInput() {
        var budget = server.configuration.readBudgetPerEvent
        while budget > 0 && !machine.isClosed {
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

    func updateInterest() {
        guard let registration, !machine.isClosed else { return }
        var interest: EpollEvents = []
        if machine.isReading { interest.insert(.readable) }
        if machine.awaitingWritable { interest.insert(.writable) }
        do {
            try loop.modify(registration, interest: interest)
        } catch {
            close()
        }
    }

    // MARK: Draining, closing, deadlines

    /// Server shutdown: an idle connection closes now; a busy one finishes what it has and then closes.
    func drain() {
        if !machine.isReceivingBody { carry = [] }
        if machine.drainRequested(unsentBytes: unsentBytes) == .close {
            close()
        } else {
            updateInterest()
        }
    }

    func close() {
        guard machine.close() else { return }
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
        server.connectionClosed(self)
    }

    private func updateDeadline() {
        guard let deadline = machine.deadline(limits) else { return }
        if let armed = timerDeadline, armed <= deadline { return }
        if let timer { loop.cancelTimer(timer) }
        timerDeadline = deadline
        timer = loop.scheduleTimer(at: deadline, handler: self)
    }

    func timerFired() {
        timer = nil
        timerDeadline = nil
        guard !machine.isClosed else { return }
        switch machine.timerFired(at: loop.now, hasBufferedBytes: !carry.isEmpty, limits) {
        case .none:
            break
        case .rearm:
            updateDeadline()
        case .close(let timeout):
            server.statistics.counts.count(timeout)
            close()
        case .reject(let timeout, let sequence):
            server.statistics.counts.count(timeout)
            refuse(sequence, .requestTimeout(timeout == .header ? .head : .body))
        }
    }
}
