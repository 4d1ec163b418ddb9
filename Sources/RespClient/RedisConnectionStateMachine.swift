import Reactor

/// Where a `RedisConnection`'s link is, with no I/O: resolving, connecting to one address after another,
/// handshaking, up, or waiting to reconnect. The phase is the one source of truth for "the link is up"; everything
/// else (the status other threads read, whether `submit` accepts) is published from it by the actions below.
///
/// `RedisConnection` is the I/O shell: it tells this type what happened (started, addresses resolved, the TCP
/// connect finished or failed, a handshake reply, the link failed, the timer fired, shut down) and performs what the
/// answer says, in order (resolve, connect, send a handshake command, close the socket, publish the status, fail
/// what is pending, schedule the timer). Nothing here touches a socket, a thread or a clock, so
/// `RedisConnectionStateMachineTests` drives every transition with plain instants and an injected jitter, the way
/// `HTTPConnectionStateMachine` is tested apart from `HTTPConnection`.
///
/// Addresses are tried in the order resolution returned them: the next on a connect failure or a connect timeout,
/// and only when every one has failed does the connection back off. A failure after the TCP connect (the handshake,
/// or the link once up) backs off at once: the server was reached, so another address of it would not help.
struct RedisConnectionStateMachine {
    enum Phase: Equatable {
        /// Created, not started.
        case idle
        /// A host name is being resolved off the loop; `attempt` tells its answer from a stale one.
        case resolving(attempt: Int, deadline: MonotonicInstant)
        /// A TCP connect to `addresses[index]` is in progress; the deadline is that address's.
        case connecting(addresses: [SocketAddress], index: Int, deadline: MonotonicInstant)
        /// Connected; `step`'s command awaits its reply. The connect deadline still runs.
        case handshaking(HandshakeStep, address: SocketAddress, deadline: MonotonicInstant)
        /// Commands are accepted.
        case up
        /// The last attempt or the link failed; the next attempt starts at `until`.
        case waitingToReconnect(until: MonotonicInstant)
        case shutDown
    }

    /// The handshake, in order: `HELLO 3` (with `AUTH` when the URL has credentials), or for servers before Redis 6,
    /// which do not know HELLO, plain `AUTH`; then `SELECT` when the database is not 0.
    enum HandshakeStep: Equatable {
        case hello
        /// RESP2 fallback: HELLO was unknown.
        case auth
        case select(protocolVersion: Int)
    }

    enum Action: Equatable {
        /// Resolve a host name off the loop and report back with `attempt`.
        case resolve(host: String, port: Int, attempt: Int)
        /// Open a socket and start a non-blocking connect; report `connected` or `connectFailed`.
        case connect(SocketAddress)
        /// Encode `command(for:)` and queue it ahead of any user command.
        case sendHandshake(HandshakeStep)
        /// Deregister and close the socket, if one is open, and forget its unsent bytes and partial replies.
        case closeSocket
        /// Make the status visible to other threads. `submit` accepts commands exactly while it says `.up`.
        case publish(RedisStatus)
        /// Tell the owner (`onStatusChange`): the link came up or went down.
        case announce(RedisStatus)
        /// Answer every command written but not answered with `sent`, every one still queued with `unsent`.
        case failPending(sent: RedisError, unsent: RedisError)
        /// Make sure the timer fires no later than this (firing earlier is fine: `timerFired` re-arms).
        case scheduleTimer(at: MonotonicInstant)
        case cancelTimer
    }

    /// What the machine needs from the configuration, copied once.
    struct Settings {
        var url: RedisURL
        var connectTimeout: Duration
        var commandTimeout: Duration
        var reconnect: ReconnectPolicy

        init(_ configuration: RedisConfiguration) {
            url = configuration.url
            connectTimeout = configuration.connectTimeout
            commandTimeout = configuration.commandTimeout
            reconnect = ReconnectPolicy(
                baseDelay: configuration.reconnectBaseDelay, maxDelay: configuration.reconnectMaxDelay)
        }
    }

    private(set) var phase = Phase.idle
    var settings: Settings
    /// Attempts that failed in a row since the link was last up: the back-off exponent.
    private(set) var consecutiveFailures = 0
    private var resolutionAttempt = 0
    private var lastError: String?
    /// Times the link came up; every time after the first is a reconnect.
    private var timesUp = 0
    /// 3 after `HELLO 3` succeeded, 2 after the RESP2 fallback, 0 before the first handshake.
    private var protocolVersion = 0

    init(settings: Settings) {
        self.settings = settings
    }

    // MARK: Derived state

    var status: RedisStatus {
        let state: RedisStatus.State =
            switch phase {
            case .idle, .resolving, .connecting, .handshaking: .connecting
            case .up: .up
            case .waitingToReconnect, .shutDown: .down
            }
        return RedisStatus(
            state: state, lastError: lastError, reconnects: max(0, timesUp - 1), protocolVersion: protocolVersion)
    }

    /// A TCP connect is in progress: the socket's first writability is its outcome.
    var isConnecting: Bool { if case .connecting = phase { true } else { false } }

    /// The socket is connected: bytes may be written and replies read (the handshake's, then everyone's).
    var isLinked: Bool {
        switch phase {
        case .handshaking, .up: true
        default: false
        }
    }

    /// The command a handshake step sends.
    func command(for step: HandshakeStep) -> [RESPArgument] {
        let url = settings.url
        switch step {
        case .hello:
            var hello: [RESPArgument] = [.staticString("HELLO"), .staticString("3")]
            if let password = url.password {
                hello += [.staticString("AUTH"), .string(url.username ?? "default"), .string(password)]
            }
            return hello
        case .auth:
            var auth: [RESPArgument] = [.staticString("AUTH")]
            if let username = url.username { auth.append(.string(username)) }
            if let password = url.password { auth.append(.string(password)) }
            return auth
        case .select:
            return [.staticString("SELECT"), .integer(url.database)]
        }
    }

    // MARK: Events

    /// Begins the first attempt. Only from `idle`.
    mutating func start(at now: MonotonicInstant) -> [Action] {
        guard phase == .idle else { return [] }
        return beginAttempt(at: now)
    }

    mutating func resolved(_ addresses: [SocketAddress], attempt: Int, at now: MonotonicInstant) -> [Action] {
        guard case .resolving(let current, _) = phase, current == attempt else { return [] }
        guard let first = addresses.first else {
            return attemptFailed("cannot resolve \(settings.url.host): no address", at: now)
        }
        let deadline = now + settings.connectTimeout
        phase = .connecting(addresses: addresses, index: 0, deadline: deadline)
        return [.scheduleTimer(at: deadline), .connect(first)]
    }

    mutating func resolutionFailed(_ reason: String, attempt: Int, at now: MonotonicInstant) -> [Action] {
        guard case .resolving(let current, _) = phase, current == attempt else { return [] }
        return attemptFailed("cannot resolve \(settings.url.host): \(reason)", at: now)
    }

    /// The TCP connect to the current address succeeded: the handshake starts, under the same deadline.
    mutating func connected(at now: MonotonicInstant) -> [Action] {
        guard case .connecting(let addresses, let index, let deadline) = phase else { return [] }
        phase = .handshaking(.hello, address: addresses[index], deadline: deadline)
        return [.sendHandshake(.hello)]
    }

    /// The TCP connect to the current address failed with `cause`: the next address is tried, or, after the last,
    /// back-off.
    mutating func connectFailed(_ cause: String, at now: MonotonicInstant) -> [Action] {
        guard case .connecting(let addresses, let index, _) = phase else { return [] }
        return nextAddress(after: "connect to \(addresses[index]): \(cause)", at: now)
    }

    /// The reply to the handshake command in flight (the pipeline hands handshake replies here, in order).
    mutating func handshakeReplied(_ reply: RESPValue, at now: MonotonicInstant) -> [Action] {
        guard case .handshaking(let step, let address, let deadline) = phase else { return [] }
        switch (step, reply) {
        case (.hello, .error(let message)):
            let error = RedisServerError(message)
            // Servers before Redis 6 do not know HELLO: stay on RESP2 and authenticate the old way.
            guard error.code == "NOPROTO" || error.message.lowercased().contains("unknown command") else {
                return attemptFailed("handshake: \(error)", at: now)
            }
            guard settings.url.password == nil else {
                phase = .handshaking(.auth, address: address, deadline: deadline)
                return [.sendHandshake(.auth)]
            }
            return selectOrFinish(protocolVersion: 2, address: address, deadline: deadline)
        case (.hello, _):
            return selectOrFinish(protocolVersion: 3, address: address, deadline: deadline)
        case (.auth, .error(let message)), (.select, .error(let message)):
            return attemptFailed("handshake: \(RedisServerError(message))", at: now)
        case (.auth, _):
            return selectOrFinish(protocolVersion: 2, address: address, deadline: deadline)
        case (.select(let version), _):
            return becomeUp(protocolVersion: version)
        }
    }

    /// The link broke: EOF, a reset, a reply that is not RESP or answers no command, a failed epoll registration.
    /// `statusReason` replaces the error's description in the status when given.
    mutating func linkFailed(_ error: RedisError, statusReason: String? = nil, at now: MonotonicInstant) -> [Action] {
        switch phase {
        case .resolving, .connecting, .handshaking, .up: linkDown(error, statusReason: statusReason, at: now)
        case .idle, .waitingToReconnect, .shutDown: []
        }
    }

    /// The timer fired (possibly early, or for a deadline that no longer applies). `oldestCommandDeadline` is the
    /// deadline of the oldest command awaiting a reply: while up, that is the only deadline.
    mutating func timerFired(at now: MonotonicInstant, oldestCommandDeadline: MonotonicInstant?) -> [Action] {
        let endpoint = "\(settings.url.host):\(settings.url.port)"
        switch phase {
        case .idle, .shutDown:
            return []
        case .resolving(_, let deadline):
            guard deadline <= now else { return [.scheduleTimer(at: deadline)] }
            return attemptFailed("resolving \(settings.url.host) timed out", at: now)
        case .connecting(let addresses, let index, let deadline):
            guard deadline <= now else { return [.scheduleTimer(at: deadline)] }
            return nextAddress(after: "connect to \(addresses[index]) timed out", at: now)
        case .handshaking(_, _, let deadline):
            guard deadline <= now else { return [.scheduleTimer(at: deadline)] }
            return attemptFailed("connect to \(endpoint) timed out", at: now)
        case .up:
            guard let deadline = oldestCommandDeadline else { return [] }
            guard deadline <= now else { return [.scheduleTimer(at: deadline)] }
            return linkDown(.timeout, statusReason: "no reply within \(settings.commandTimeout)", at: now)
        case .waitingToReconnect(let until):
            guard until <= now else { return [.scheduleTimer(at: until)] }
            return beginAttempt(at: now)
        }
    }

    /// Stops for good from any phase: everything pending fails with `.shutdown` and nothing reconnects.
    mutating func shutdown() -> [Action] {
        guard phase != .shutDown else { return [] }
        lastError = RedisError.shutdown.description
        phase = .shutDown
        return [
            .closeSocket, .cancelTimer, .publish(status), .failPending(sent: .shutdown, unsent: .shutdown),
            .announce(status),
        ]
    }

    // MARK: Transitions

    private mutating func beginAttempt(at now: MonotonicInstant) -> [Action] {
        let deadline = now + settings.connectTimeout
        // A numeric address needs no resolver (inet_pton, no I/O); only names leave the loop.
        if let address = SocketAddress(numericHost: settings.url.host, port: settings.url.port) {
            phase = .connecting(addresses: [address], index: 0, deadline: deadline)
            return [.publish(status), .scheduleTimer(at: deadline), .connect(address)]
        }
        resolutionAttempt += 1
        phase = .resolving(attempt: resolutionAttempt, deadline: deadline)
        return [
            .publish(status), .scheduleTimer(at: deadline),
            .resolve(host: settings.url.host, port: settings.url.port, attempt: resolutionAttempt),
        ]
    }

    private mutating func nextAddress(after reason: String, at now: MonotonicInstant) -> [Action] {
        guard case .connecting(let addresses, let index, _) = phase, index + 1 < addresses.count else {
            return attemptFailed(reason, at: now)
        }
        let deadline = now + settings.connectTimeout
        phase = .connecting(addresses: addresses, index: index + 1, deadline: deadline)
        return [.closeSocket, .scheduleTimer(at: deadline), .connect(addresses[index + 1])]
    }

    private mutating func selectOrFinish(
        protocolVersion: Int, address: SocketAddress, deadline: MonotonicInstant
    )
        -> [Action]
    {
        guard settings.url.database == 0 else {
            let step = HandshakeStep.select(protocolVersion: protocolVersion)
            phase = .handshaking(step, address: address, deadline: deadline)
            return [.sendHandshake(step)]
        }
        return becomeUp(protocolVersion: protocolVersion)
    }

    private mutating func becomeUp(protocolVersion: Int) -> [Action] {
        phase = .up
        self.protocolVersion = protocolVersion
        consecutiveFailures = 0
        timesUp += 1
        lastError = nil
        return [.cancelTimer, .publish(status), .announce(status)]
    }

    /// An attempt to bring the link up failed; the status shows the reason as worded, without the error's prefix.
    private mutating func attemptFailed(_ reason: String, at now: MonotonicInstant) -> [Action] {
        linkDown(.connectionLost(reason), statusReason: reason, at: now)
    }

    /// Closes the link, fails everything pending and schedules the next attempt after the back-off.
    private mutating func linkDown(
        _ error: RedisError, statusReason: String? = nil, at now: MonotonicInstant
    )
        -> [Action]
    {
        let reason = statusReason ?? error.description
        lastError = reason
        let until = now + settings.reconnect.delay(afterFailures: consecutiveFailures)
        consecutiveFailures += 1
        phase = .waitingToReconnect(until: until)
        return [
            .closeSocket, .cancelTimer, .publish(status),
            .failPending(sent: error, unsent: .notConnected(reason)), .announce(status), .scheduleTimer(at: until),
        ]
    }
}
