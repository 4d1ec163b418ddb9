import Glibc
import Reactor
import Synchronization

/// One pipelined connection to Redis, driven by an `EventLoop`.
///
/// ### Three pieces
/// - `RedisConnectionStateMachine` decides: resolving, connecting to each address in turn, the handshake, up,
///   back-off. Its phase is the one record of whether the link is up; the status other threads read (and with it
///   whether `submit` accepts) is published from it.
/// - `RedisPipeline` carries commands: the locked outbox any thread submits to, the FIFO of reply targets, the
///   output buffer and the decoder.
/// - This class is the I/O shell between them and the loop: it owns the socket, its epoll registration and the one
///   timer, feeds the machine what happened and performs the actions it answers, in order.
///
/// ### Threads
/// The socket, the machine, the FIFO and the decoder belong to the loop thread. Any thread may `submit`: commands
/// go, already encoded, to the pipeline's outbox, which the loop takes whole at the end of its tick and writes with
/// one `send` (see `RedisPipeline`).
///
/// ### Replies and failures
/// Replies are matched first-in-first-out. Each command is answered exactly once: with its reply, with its error
/// reply as `RedisError.server`, or, when the link fails (EOF, reset, garbage, a failed epoll registration, no reply
/// within the command timeout), with a failure that says whether it may have reached Redis (`connectionLost`,
/// `timeout`) or was never sent (`notConnected`). Nothing is re-sent silently: the caller decides. Then the link
/// reconnects with exponential back-off and jitter (`ReconnectPolicy`), and while it is down `submit` fails at once
/// instead of queueing.
public final class RedisConnection: EventHandler, FlushHandler, @unchecked Sendable {
    typealias Machine = RedisConnectionStateMachine

    /// The buffer each `read` fills: Redis answers a tick's pipelined writes with replies of a few bytes each
    /// (`XADD` IDs), so 64 KiB holds thousands of them and one read usually takes everything available.
    static let readBufferBytes = 64 * 1024
    /// Reads per readiness event, so a flood of replies cannot hold the loop from the HTTP connections: 4 × 64 KiB.
    /// Epoll is level-triggered, so whatever is left is read on the next tick.
    static let readsPerEvent = 4

    public let loop: EventLoop
    public let configuration: RedisConfiguration
    let pipeline: RedisPipeline

    // Loop-thread state: touched only on the loop thread and never in overlapping accesses, so dynamic exclusivity
    // checks are off for it (callgrind counted ~2% of the request path in swift_beginAccess).
    @exclusivity(unchecked) var machine: Machine
    @exclusivity(unchecked) var fd: Int32 = -1
    @exclusivity(unchecked) var registration: Registration?
    @exclusivity(unchecked) var flushQueued = false
    @exclusivity(unchecked) var timer: TimerID?
    @exclusivity(unchecked) var timerDeadline: MonotonicInstant?
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Where host names are resolved; tests substitute a fixed list of addresses.
    var resolver: (String, Int, @escaping @Sendable (Result<[SocketAddress], SystemError>) -> Void) -> Void =
        HostResolver.resolve

    /// Called on the loop thread with the number of commands in each pipelined write (a metrics hook).
    public var onBatchWritten: ((Int) -> Void)?
    /// Called on the loop thread with the round trip of the oldest command answered by each read, in nanoseconds,
    /// and the time (a metrics hook).
    public var onRoundTrip: ((UInt64, MonotonicInstant) -> Void)?
    /// Called on the loop thread with how long commands submitted from another thread waited for the loop to take
    /// them, in nanoseconds (the oldest of each batch), and the time (a metrics hook).
    public var onSubmissionWaited: ((UInt64, MonotonicInstant) -> Void)?
    /// Called on the loop thread whenever the link goes up or down (a logging hook).
    public var onStatusChange: ((RedisStatus) -> Void)?

    public init(loop: EventLoop, configuration: RedisConfiguration) {
        self.loop = loop
        self.configuration = configuration
        pipeline = RedisPipeline(
            maxCommandsInFlight: configuration.maxCommandsInFlight, decoderLimits: configuration.decoderLimits)
        machine = Machine(settings: Machine.Settings(configuration))
        readBuffer = .allocate(byteCount: Self.readBufferBytes, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Public API (any thread)

    /// Begins connecting. Safe from any thread.
    public func start() {
        loop.execute { [self] in apply(machine.start(at: loop.now)) }
    }

    /// Fails everything pending with `.shutdown`, closes the socket and stops reconnecting.
    public func shutdown() {
        loop.execute { [self] in apply(machine.shutdown()) }
    }

    public var status: RedisStatus { pipeline.status }

    /// True while commands are accepted (the link is up and the handshake done).
    public var isUp: Bool { pipeline.shared.withLock { $0.status.state == .up } }

    /// Commands submitted and not yet answered.
    public var commandsInFlight: Int { pipeline.inFlight.load(ordering: .relaxed) }

    /// Queues `commandCount` commands, encoded back to back in `bytes` (see `RESPEncoder`). Their replies reach
    /// `handler` on the loop thread with tags `0..<commandCount`, in order.
    ///
    /// Throws at once, having queued nothing, when the link is not up (`.notConnected`) or when
    /// `maxCommandsInFlight` would be exceeded (`.overloaded`). The commands of one submission are written
    /// contiguously, so a `MULTI … EXEC` block is never interleaved with other submissions.
    public func submit(
        encoded bytes: UnsafeRawBufferPointer, commandCount: Int, handler: any RedisReplyHandler
    ) throws(RedisError) {
        precondition(commandCount > 0, "a submission holds at least one command")
        let inLoop = loop.inLoop
        let submittedAt = onSubmissionWaited != nil && !inLoop ? SystemClock().now() : nil
        let mustSignal = try pipeline.submit(
            encoded: bytes, commandCount: commandCount, handler: handler, submittedAt: submittedAt)
        guard mustSignal else { return }
        // On the loop thread (a request processed inline) the flush is simply queued for this tick.
        if inLoop { requestFlush() } else { loop.execute { [self] in requestFlush() } }
    }

    // MARK: Actions

    /// Performs the machine's actions in order. An action whose outcome is known at once (a connect that succeeded
    /// or failed immediately) feeds the machine again, and the answer's actions run after the rest of this list.
    func apply(_ actions: [Machine.Action]) {
        var queue = actions
        var next = 0
        while next < queue.count {
            let action = queue[next]
            next += 1
            queue += perform(action)
        }
    }

    private func perform(_ action: Machine.Action) -> [Machine.Action] {
        switch action {
        case .resolve(let host, let port, let attempt):
            resolver(host, port) { [weak self] result in
                guard let self else { return }
                loop.execute { [self] in
                    switch result {
                    case .success(let addresses):
                        apply(machine.resolved(addresses, attempt: attempt, at: loop.now))
                    case .failure(let error):
                        apply(machine.resolutionFailed("\(error)", attempt: attempt, at: loop.now))
                    }
                }
            }
        case .connect(let address):
            return open(address)
        case .sendHandshake(let step):
            pipeline.appendHandshake(
                machine.command(for: step), now: loop.now, deadline: loop.now + configuration.connectTimeout)
            requestFlush()
        case .closeSocket:
            closeSocket()
        case .publish(let status):
            pipeline.publish(status)
        case .announce(let status):
            onStatusChange?(status)
        case .failPending(let sent, let unsent):
            pipeline.failAll(sent: sent, unsent: unsent)
        case .scheduleTimer(let deadline):
            armTimer(at: deadline)
        case .cancelTimer:
            cancelTimer()
        }
        return []
    }

    // MARK: The socket

    /// Opens a socket and starts a non-blocking connect to `address`; the outcome arrives as writability, or at once.
    private func open(_ address: SocketAddress) -> [Machine.Action] {
        let connectedAtOnce: Bool
        do {
            fd = try Posix.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
            try? Posix.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            switch try Posix.connect(fd, address) {
            case .processed: connectedAtOnce = true
            case .wouldBlock: connectedAtOnce = false
            }
        } catch {
            return machine.connectFailed("\(error)", at: loop.now)
        }
        do {
            registration = try loop.register(
                fd: fd, interest: connectedAtOnce ? .readable : .writable, handler: self)
        } catch {
            return machine.linkFailed(.connectionLost("epoll_ctl: \(error)"), at: loop.now)
        }
        return connectedAtOnce ? machine.connected(at: loop.now) : []
    }

    private func closeSocket() {
        if let registration { loop.deregister(registration) }
        registration = nil
        if fd >= 0 { Posix.close(fd) }
        fd = -1
        pipeline.resetLink()
    }

    /// Sets what epoll watches for. A failed `epoll_ctl` is a link failure, as it is fatal to an HTTP connection:
    /// a socket the loop can no longer watch would leave its commands unanswered until the command timeout.
    /// Returns false when the link was failed.
    private func watch(_ interest: EpollEvents) -> Bool {
        guard let registration else { return false }
        do {
            try loop.modify(registration, interest: interest)
            return true
        } catch {
            apply(machine.linkFailed(.connectionLost("epoll_ctl: \(error)"), at: loop.now))
            return false
        }
    }

    // MARK: Events

    public func handleEvents(_ events: EpollEvents) {
        if machine.isConnecting {
            let code = (try? Posix.socketError(fd)) ?? ECONNREFUSED
            if code != 0 {
                apply(machine.connectFailed("\(SystemError("connect", errno: code))", at: loop.now))
            } else if watch(.readable) {
                apply(machine.connected(at: loop.now))
            }
            return
        }
        if events.contains(.writable) {
            write()
        }
        if fd >= 0 && !events.isDisjoint(with: [.readable, .hangup, .error]) {
            read()
        }
    }

    private func read() {
        var budget = Self.readsPerEvent
        while budget > 0 && fd >= 0 {
            budget -= 1
            let result: IOResult<Int>
            do {
                result = try Posix.read(fd, into: readBuffer)
            } catch {
                apply(machine.linkFailed(.connectionLost("\(error)"), at: loop.now))
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                apply(machine.linkFailed(.connectionLost("server closed the connection"), at: loop.now))
                return
            case .processed(let count):
                pipeline.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                deliverReplies()
                if count < readBuffer.count { return }
            }
        }
    }

    private func deliverReplies() {
        while fd >= 0 {
            switch pipeline.deliverReplies(now: loop.now, onRoundTrip: onRoundTrip) {
            case .drained:
                return
            case .handshakeReply(let reply):
                apply(machine.handshakeReplied(reply, at: loop.now))
            case .violation(let reason):
                apply(machine.linkFailed(.connectionLost(reason), at: loop.now))
            }
        }
    }

    // MARK: Writing

    func requestFlush() {
        guard !flushQueued else { return }
        flushQueued = true
        loop.requestFlush(self)
    }

    public func flush() {
        flushQueued = false
        let now = loop.now
        let (commands, signalledAt) = pipeline.takeOutbox(now: now, deadline: now + configuration.commandTimeout)
        if let signalledAt, let onSubmissionWaited {
            let waited = SystemClock().now()
            onSubmissionWaited(waited.nanoseconds(since: signalledAt), waited)
        }
        if commands > 0 {
            onBatchWritten?(commands)
            if timer == nil, let deadline = pipeline.oldestDeadline { armTimer(at: deadline) }
        }
        write()
    }

    /// One send of everything buffered; leftovers wait for EPOLLOUT.
    private func write() {
        guard fd >= 0, machine.isLinked, pipeline.hasUnsentBytes else { return }
        let bytesLeft: Bool
        do {
            bytesLeft = try pipeline.send(to: fd)
        } catch {
            apply(machine.linkFailed(.connectionLost("\(error)"), at: loop.now))
            return
        }
        _ = watch(bytesLeft ? [.readable, .writable] : .readable)
    }

    // MARK: The timer

    /// Arms the one timer for `deadline` unless it already fires no later; an early firing asks the machine again.
    private func armTimer(at deadline: MonotonicInstant) {
        if let armed = timerDeadline, armed <= deadline { return }
        if let timer { loop.cancelTimer(timer) }
        timerDeadline = deadline
        timer = loop.scheduleTimer(at: deadline) { [weak self] in self?.timerFired() }
    }

    private func cancelTimer() {
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        timerDeadline = nil
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        apply(machine.timerFired(at: loop.now, oldestCommandDeadline: pipeline.oldestDeadline))
    }
}
