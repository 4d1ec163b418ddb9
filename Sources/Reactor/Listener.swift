import CReactorShim
import Glibc

/// How a listening socket is set up.
public struct ListenerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Accept-queue length. The kernel caps it at `net.core.somaxconn`; a small backlog shows up as random
    /// multi-second connect latency under bursts (SYNs dropped and retried), so the default asks for the maximum.
    public var backlog: Int32
    /// SO_REUSEPORT lets several processes share the port (the kernel balances connections between them).
    public var reusePort: Bool
    /// Connections accepted per readiness event, so a connection storm cannot starve established connections.
    public var acceptBudget: Int

    public init(
        host: String = "0.0.0.0", port: Int = 8080, backlog: Int32 = SOMAXCONN, reusePort: Bool = false,
        acceptBudget: Int = 256
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.reusePort = reusePort
        self.acceptBudget = acceptBudget
    }
}

/// A non-blocking listening socket registered with the loop.
///
/// ### Running out of file descriptors
/// With level-triggered epoll, a listener that cannot accept (EMFILE/ENFILE) stays readable forever and the loop
/// would spin at 100% CPU. The listener keeps one spare descriptor (`/dev/null`) for that moment: it closes the
/// spare, accepts the waiting connection, hands it to `onShed` (which answers 503 and closes it), and reopens the
/// spare, until the accept queue is empty. Clients get a fast, explicit refusal instead of hanging in the backlog,
/// and the loop goes back to sleep. If even the spare cannot be reopened, accepting pauses briefly.
public final class Listener: EventHandler {
    public let address: SocketAddress
    public let statistics: ListenerStatistics

    private let loop: EventLoop
    private let fd: Int32
    private let budget: Int
    private var registration: Registration?
    private var spareFD: Int32
    private var closed = false
    private let onAccept: (Int32) -> Void
    private let onShed: (Int32) -> Void

    /// How long accepting pauses when no descriptor at all can be freed.
    static let exhaustionPause: Duration = .milliseconds(100)

    /// Binds, listens and registers. Call on the loop thread (or before the loop runs, on the thread that will run
    /// it). `onAccept` receives each accepted non-blocking socket with TCP_NODELAY set; `onShed` receives
    /// connections accepted only to be refused because descriptors ran out.
    public init(
        loop: EventLoop, configuration: ListenerConfiguration, statistics: ListenerStatistics = ListenerStatistics(),
        onAccept: @escaping (Int32) -> Void, onShed: @escaping (Int32) -> Void
    ) throws(SystemError) {
        guard let bindAddress = SocketAddress(numericHost: configuration.host, port: configuration.port) else {
            throw SystemError("listen address \(configuration.host)", errno: EINVAL)
        }
        self.loop = loop
        self.statistics = statistics
        self.budget = configuration.acceptBudget
        self.onAccept = onAccept
        self.onShed = onShed
        let socket = try Posix.socket(domain: bindAddress.family, type: Int32(SOCK_STREAM.rawValue))
        do {
            try Posix.setOption(socket, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            if configuration.reusePort {
                try Posix.setOption(socket, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
            }
            try Posix.bind(socket, bindAddress)
            try Posix.listen(socket, backlog: configuration.backlog)
            address = try Posix.localAddress(socket)
            spareFD = try Posix.open("/dev/null", flags: O_RDONLY)
        } catch {
            Posix.close(socket)
            throw error
        }
        fd = socket
        registration = try loop.register(fd: socket, interest: .readable, handler: self)
    }

    /// Stops accepting and closes the socket; pending connections in the backlog are reset by the kernel.
    public func close() {
        guard !closed else { return }
        closed = true
        if let registration { loop.deregister(registration) }
        registration = nil
        Posix.close(fd)
        if spareFD >= 0 { Posix.close(spareFD) }
        spareFD = -1
    }

    public func handleEvents(_ events: EpollEvents) {
        var accepted = 0
        while accepted < budget && !closed {
            do {
                switch try Posix.accept(fd) {
                case .processed(let connection):
                    accepted += 1
                    // Responses go out as one write; without NODELAY a second small segment would wait ~40 ms for
                    // the peer's delayed ACK.
                    try? Posix.setOption(connection, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
                    onAccept(connection)
                case .wouldBlock:
                    return
                }
            } catch  where error.errno == EMFILE || error.errno == ENFILE {
                if !shedOneWithSpareDescriptor() { return }
                accepted += 1
            } catch  where error.errno == ECONNABORTED || error.errno == EPROTO || error.errno == EPERM {
                // The peer gave up before we accepted; nothing to do for it.
                statistics.acceptErrors += 1
            } catch {
                statistics.acceptErrors += 1
                pause()
                return
            }
        }
    }

    /// Frees the spare descriptor to accept one connection and refuse it. Returns true when a connection was shed
    /// and the spare is back, so the accept loop may go on; false when the queue turned out empty (nothing to
    /// shed: stop until the next readiness event) or accepting paused.
    private func shedOneWithSpareDescriptor() -> Bool {
        guard spareFD >= 0 else {
            pause()
            return false
        }
        Posix.close(spareFD)
        spareFD = -1
        var shed = false
        if case .processed(let connection)? = try? Posix.accept(fd) {
            statistics.shedForDescriptorExhaustion += 1
            onShed(connection)
            shed = true
        }
        spareFD = (try? Posix.open("/dev/null", flags: O_RDONLY)) ?? -1
        if spareFD < 0 {
            pause()
            return false
        }
        return shed
    }

    private func pause() {
        guard let registration, !closed else { return }
        statistics.pauses += 1
        try? loop.modify(registration, interest: [])
        loop.scheduleTimer(after: Self.exhaustionPause) { [weak self] in
            guard let self, !self.closed else { return }
            if self.spareFD < 0 { self.spareFD = (try? Posix.open("/dev/null", flags: O_RDONLY)) ?? -1 }
            try? self.loop.modify(registration, interest: .readable)
        }
    }
}
