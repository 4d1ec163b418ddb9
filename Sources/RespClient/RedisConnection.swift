import Dispatch
import Glibc
import Reactor
import Synchronization

/// One pipelined connection to Redis, driven by an `EventLoop`.
///
/// ### Threads
/// The socket, the reply FIFO and the decoder belong to the loop thread. Any thread may `submit` commands: they are
/// appended, already encoded, to a locked outbox, and only the submission that finds the outbox without a pending
/// wake-up schedules one. At the end of the loop's tick (`flush`) the whole outbox is taken in one lock hold and
/// written with one `send`, so however many consumer threads submit, Redis sees large pipelined writes and the loop
/// pays one syscall per tick, not per command.
///
/// ### Replies and failures
/// Replies are matched first-in-first-out. Each command is answered exactly once: with its reply, with its error
/// reply as `RedisError.server`, or, when the link fails (EOF, reset, garbage, no reply within the command timeout),
/// with a failure that says whether it may have reached Redis (`connectionLost`, `timeout`) or was never sent
/// (`notConnected`). Nothing is re-sent silently: the caller decides. Then the link reconnects with exponential
/// back-off and jitter, and while it is down `submit` fails at once instead of queueing.
public final class RedisConnection: EventHandler, FlushHandler, @unchecked Sendable {
    enum HandshakeStep {
        case hello, auth, select
    }

    enum ReplyTarget {
        case user(any RedisReplyHandler, tag: Int)
        case handshake(HandshakeStep)
    }

    struct Pending {
        var target: ReplyTarget
        var deadline: MonotonicInstant
        /// The tick in which the command was written (for `onRoundTrip`).
        var sentAt: MonotonicInstant
    }

    /// State shared with submitting threads.
    struct Shared {
        var outbox: [UInt8] = []
        var outboxTargets: [ReplyTarget] = []
        var wakeupPending = false
        /// When a submission from another thread flipped `wakeupPending` (for `onSubmissionWaited`).
        var signalledAt: MonotonicInstant?
        var accepting = false
        var status = RedisStatus()
    }

    enum Phase {
        case idle, resolving, connecting, handshaking, up, waitingToReconnect, shutDown
    }

    public let loop: EventLoop
    public let configuration: RedisConfiguration
    let shared = Mutex(Shared())
    let inFlight = Atomic<Int>(0)

    // Loop-thread state: touched only on the loop thread and never in overlapping accesses, so dynamic exclusivity
    // checks are off for it (callgrind counted ~2% of the request path in swift_beginAccess).
    @exclusivity(unchecked) var phase = Phase.idle
    @exclusivity(unchecked) var fd: Int32 = -1
    @exclusivity(unchecked) var registration: Registration?
    @exclusivity(unchecked) var decoder: RESPDecoder
    @exclusivity(unchecked) var fifo: [Pending] = []
    @exclusivity(unchecked) var fifoHead = 0
    @exclusivity(unchecked) var out: [UInt8] = []
    @exclusivity(unchecked) var outOffset = 0
    @exclusivity(unchecked) var takenTargets: [ReplyTarget] = []
    @exclusivity(unchecked) var flushQueued = false
    @exclusivity(unchecked) var timer: TimerID?
    @exclusivity(unchecked) var timerDeadline: MonotonicInstant?
    @exclusivity(unchecked) var connectDeadline: MonotonicInstant?
    @exclusivity(unchecked) var failedAttempts = 0
    @exclusivity(unchecked) var everConnected = false
    @exclusivity(unchecked) var speaksRESP3 = false
    let readBuffer: UnsafeMutableRawBufferPointer

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
        self.decoder = RESPDecoder(limits: configuration.decoderLimits)
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    // MARK: Public API (any thread)

    /// Begins connecting. Safe from any thread.
    public func start() {
        loop.execute { [self] in
            guard phase == .idle else { return }
            connect()
        }
    }

    /// Fails everything pending with `.shutdown`, closes the socket and stops reconnecting.
    public func shutdown() {
        loop.execute { [self] in
            guard phase != .shutDown else { return }
            phase = .shutDown
            fail(with: .shutdown)
        }
    }

    public var status: RedisStatus { shared.withLock { $0.status } }

    /// True while commands are accepted (the link is up and the handshake done).
    public var isUp: Bool { shared.withLock { $0.accepting } }

    /// Commands submitted and not yet answered.
    public var commandsInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// Queues `commandCount` commands, encoded back to back in `bytes` (see `RESPEncoder`). Their replies reach
    /// `handler` on the loop thread with tags `0..<commandCount`, in order.
    ///
    /// Throws at once, having queued nothing, when the link is not up (`.notConnected`) or when
    /// `maxCommandsInFlight` would be exceeded (`.overloaded`). The commands of one submission are written
    /// contiguously, so a `MULTI … EXEC` block is never interleaved with other submissions.
    public func submit(encoded bytes: UnsafeRawBufferPointer, commandCount: Int, handler: any RedisReplyHandler) throws(RedisError) {
        precondition(commandCount > 0, "a submission holds at least one command")
        let before = inFlight.add(commandCount, ordering: .relaxed).oldValue
        if before + commandCount > configuration.maxCommandsInFlight {
            inFlight.subtract(commandCount, ordering: .relaxed)
            throw .overloaded
        }
        enum Outcome { case queued(signal: Bool), down(String) }
        let inLoop = loop.inLoop
        let submittedAt = onSubmissionWaited != nil && !inLoop ? SystemClock().now() : nil
        let outcome = shared.withLock { shared -> Outcome in
            guard shared.accepting else {
                return .down(shared.status.lastError ?? shared.status.state.rawValue)
            }
            shared.outbox.append(contentsOf: bytes)
            for tag in 0..<commandCount {
                shared.outboxTargets.append(.user(handler, tag: tag))
            }
            if shared.wakeupPending { return .queued(signal: false) }
            shared.wakeupPending = true
            shared.signalledAt = submittedAt
            return .queued(signal: true)
        }
        switch outcome {
        case .down(let reason):
            inFlight.subtract(commandCount, ordering: .relaxed)
            throw .notConnected(reason)
        case .queued(let signal):
            if signal {
                // On the loop thread (a request processed inline) the flush is simply queued for this tick.
                if inLoop { requestFlush() } else { loop.execute { [self] in requestFlush() } }
            }
        }
    }

    // MARK: Connecting

    func connect() {
        phase = .resolving
        updateStatus { $0.state = .connecting }
        connectDeadline = loop.now + configuration.connectTimeout
        armTimer()
        let url = configuration.url
        if let address = SocketAddress(numericHost: url.host, port: url.port) {
            open(address)
            return
        }
        // getaddrinfo blocks on DNS, so it runs off the loop and hops back with the answer.
        DispatchQueue.global().async { [self] in
            let result = Result { () throws(SystemError) -> SocketAddress in
                try SocketAddress.resolve(host: url.host, port: url.port)
            }
            loop.execute { [self] in
                guard phase == .resolving else { return }
                switch result {
                case .success(let address): open(address)
                case .failure(let error): connectionFailed("cannot resolve \(url.host): \(error)")
                }
            }
        }
    }

    func open(_ address: SocketAddress) {
        phase = .connecting
        do {
            fd = try Posix.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
            if address.family != AF_UNIX {
                try? Posix.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            }
            switch try Posix.connect(fd, address) {
            case .processed:
                registration = try loop.register(fd: fd, interest: .readable, handler: self)
                connected()
            case .wouldBlock:
                registration = try loop.register(fd: fd, interest: .writable, handler: self)
            }
        } catch {
            connectionFailed("connect to \(address): \(error)")
        }
    }

    func connected() {
        phase = .handshaking
        if let registration { try? loop.modify(registration, interest: .readable) }
        var hello: [RESPArgument] = [.staticString("HELLO"), .staticString("3")]
        if let password = configuration.url.password {
            hello += [.staticString("AUTH"), .string(configuration.url.username ?? "default"), .string(password)]
        }
        sendHandshake(hello, step: .hello)
    }

    func sendHandshake(_ arguments: [RESPArgument], step: HandshakeStep) {
        RESPEncoder.appendCommand(arguments, to: &out)
        fifo.append(Pending(
            target: .handshake(step), deadline: connectDeadline ?? loop.now + configuration.connectTimeout,
            sentAt: loop.now))
        requestFlush()
    }

    func handshakeReplied(_ step: HandshakeStep, _ reply: RESPValue) {
        let url = configuration.url
        switch (step, reply) {
        case (.hello, .error(let message)):
            let error = RedisServerError(message)
            // Servers before Redis 6 do not know HELLO: stay on RESP2 and authenticate the old way.
            guard error.code == "NOPROTO" || error.message.lowercased().contains("unknown command") else {
                connectionFailed("handshake: \(error)")
                return
            }
            speaksRESP3 = false
            if let password = url.password {
                var auth: [RESPArgument] = [.staticString("AUTH")]
                if let username = url.username { auth.append(.string(username)) }
                auth.append(.string(password))
                sendHandshake(auth, step: .auth)
            } else {
                selectOrFinish()
            }
        case (.hello, _):
            speaksRESP3 = true
            selectOrFinish()
        case (.auth, .error(let message)), (.select, .error(let message)):
            connectionFailed("handshake: \(RedisServerError(message))")
        case (.auth, _):
            selectOrFinish()
        case (.select, _):
            becameReady()
        }
    }

    func selectOrFinish() {
        if configuration.url.database != 0 {
            sendHandshake([.staticString("SELECT"), .integer(configuration.url.database)], step: .select)
        } else {
            becameReady()
        }
    }

    func becameReady() {
        phase = .up
        connectDeadline = nil
        failedAttempts = 0
        let reconnected = everConnected
        everConnected = true
        updateStatus { status in
            status.state = .up
            status.lastError = nil
            status.protocolVersion = speaksRESP3 ? 3 : 2
            if reconnected { status.reconnects += 1 }
        }
        shared.withLock { $0.accepting = true }
        onStatusChange?(status)
        armTimer()
    }

    func connectionFailed(_ reason: String) {
        fail(with: .connectionLost(reason), statusReason: reason)
    }

    // MARK: Events

    public func handleEvents(_ events: EpollEvents) {
        if phase == .connecting {
            let code = (try? Posix.socketError(fd)) ?? ECONNREFUSED
            if code != 0 {
                connectionFailed("connect to \(configuration.url.host):\(configuration.url.port): \(SystemError("connect", errno: code))")
            } else {
                connected()
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

    func read() {
        var budget = 4
        while budget > 0 && fd >= 0 {
            budget -= 1
            let result: IOResult<Int>
            do {
                result = try Posix.read(fd, into: readBuffer)
            } catch {
                fail(with: .connectionLost("\(error)"))
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                fail(with: .connectionLost("server closed the connection"))
                return
            case .processed(let count):
                decoder.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                deliverReplies()
                if count < readBuffer.count { return }
            }
        }
    }

    func deliverReplies() {
        var roundTripObserved = onRoundTrip == nil
        while fd >= 0 {
            let reply: RESPValue
            do {
                guard let next = try decoder.next() else { break }
                reply = next
            } catch {
                fail(with: .connectionLost("protocol error: \(error)"))
                return
            }
            var value = reply
            if case .attributed(_, let inner) = value { value = inner }
            if case .push = value { continue }  // out-of-band RESP3 pushes answer no command
            guard fifoHead < fifo.count else {
                fail(with: .connectionLost("protocol error: a reply arrived with no command waiting"))
                return
            }
            let pending = fifo[fifoHead]
            fifoHead += 1
            if fifoHead == fifo.count {
                fifo.removeAll(keepingCapacity: true)
                fifoHead = 0
            } else if fifoHead >= 4096 && fifoHead * 2 >= fifo.count {
                fifo.removeSubrange(0..<fifoHead)
                fifoHead = 0
            }
            switch pending.target {
            case .handshake(let step):
                handshakeReplied(step, value)
            case .user(let handler, let tag):
                inFlight.subtract(1, ordering: .relaxed)
                if !roundTripObserved {
                    roundTripObserved = true
                    onRoundTrip?(loop.now.nanoseconds(since: pending.sentAt), loop.now)
                }
                if case .error(let message) = value {
                    handler.redisReplied(.failure(.server(RedisServerError(message))), tag: tag)
                } else {
                    handler.redisReplied(.success(value), tag: tag)
                }
            }
        }
    }
}
