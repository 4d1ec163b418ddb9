import Reactor
import Synchronization

/// The gateway's Redis client: one standalone server or a Redis Cluster, told apart at run time, behind the same
/// submit-style API as `RedisConnection`.
///
/// ### Modes
/// It starts by connecting to the first seed and asking `INFO cluster`. With `cluster_enabled:0` (or a server that
/// refuses the question) that connection is the one connection and every submission goes straight to it, with the
/// caller's own handler: the standalone path costs one branch more than using `RedisConnection` directly. With
/// `cluster_enabled:1` it reads the slot map (`CLUSTER SHARDS`, `CLUSTER SLOTS` on older servers) and opens one
/// pipelined `RedisConnection` per primary, all on this loop.
///
/// ### Routing in a cluster
/// A submission carries the hash slot of its keys and goes to that slot's primary, wrapped in a `ClusterSubmission`
/// that follows `MOVED` (the map is updated at once and a full refresh is scheduled) and `ASK` (`ASKING` and the
/// commands once to the target), and hands everything else to the caller: `TRYAGAIN` and `CLUSTERDOWN` as server
/// errors, a lost primary's in-flight commands as `connectionLost` (they may have executed, so they are not resent).
/// While a primary is down or a slot has none, the map is re-read every `degradedRefreshInterval` until a replica has
/// been promoted; while all is well, every `healthyRefreshInterval`.
///
/// ### Threads
/// Topology changes happen on the loop thread; `submit` may be called from any thread and reads the routing table
/// under a lock held only for the lookup.
public final class RedisRouter: @unchecked Sendable {
    /// The map is re-read this often while some slot has no reachable primary: a replica is promoted within about
    /// the cluster's node timeout (seconds), so half a second finds it soon after without loading the cluster.
    public static let degradedRefreshInterval: Duration = .milliseconds(500)
    /// The map is re-read this often while all is well, to learn of changes that produce no `MOVED` (a primary that
    /// lost all its slots, added replicas). `MOVED` itself triggers a refresh at once.
    public static let healthyRefreshInterval: Duration = .seconds(10)

    enum Mode {
        case discovering
        case standalone(RedisConnection)
        case cluster
    }

    /// What `submit` reads from any thread.
    struct Routing {
        var mode = Mode.discovering
        var map: ClusterSlotMap?
        var connections: [ClusterEndpoint: RedisConnection] = [:]
        /// The connection `INFO cluster` was asked on (the standalone connection in that mode). In a cluster it stays
        /// open for reading the map when no primary is reachable, and moves to another known node when its own fails.
        var control: RedisConnection?
        var lastError: String?
        var movedRedirects = 0
        var askRedirects = 0
    }

    public let loop: EventLoop
    public let configuration: RedisConfiguration
    let routing = Mutex(Routing())
    /// The standalone connection, published once when `INFO cluster` says the server is not a cluster (a server does
    /// not change mode without a restart). The request path reads it without the routing lock: every POST submits
    /// and asks `isUp`, and the lock, the mode switch and the tuple they returned cost ~650 instructions per request
    /// (callgrind) that a standalone deployment does not need. Publication: `standaloneConnection` is written once,
    /// on the loop thread, before `standalonePublished` is stored with release ordering; readers load the flag with
    /// acquire ordering before reading the connection, and it never changes afterwards. (Synchronization's
    /// `AtomicLazyReference` would say the same, but its `load` is not specialized across modules: ~2,000
    /// instructions a call.)
    private let standalonePublished = Atomic<Bool>(false)
    @exclusivity(unchecked) private var standaloneConnection: RedisConnection?

    var standalone: RedisConnection? {
        standalonePublished.load(ordering: .acquiring) ? standaloneConnection : nil
    }

    /// Loop thread, once: the server is not a cluster.
    func publishStandalone(_ connection: RedisConnection) {
        guard !standalonePublished.load(ordering: .relaxed) else { return }
        standaloneConnection = connection
        standalonePublished.store(true, ordering: .releasing)
    }

    // Loop-thread state.
    /// Which of the known nodes (`candidates`) the control connection goes to next.
    @exclusivity(unchecked) var controlIndex = 0
    @exclusivity(unchecked) var refreshInFlight = false
    @exclusivity(unchecked) var lastRefreshStarted: MonotonicInstant?
    @exclusivity(unchecked) var refreshTimer: (id: TimerID, deadline: MonotonicInstant)?
    @exclusivity(unchecked) var rotationScheduled = false
    @exclusivity(unchecked) var announcedUp = false
    @exclusivity(unchecked) var stopped = false

    /// The same hooks as `RedisConnection`'s, installed on every connection the router opens. Set them before `start`.
    public var onBatchWritten: ((Int) -> Void)?
    public var onRoundTrip: ((UInt64, MonotonicInstant) -> Void)?
    public var onSubmissionWaited: ((UInt64, MonotonicInstant) -> Void)?
    /// Called on the loop thread when the whole (every slot has a reachable primary) goes up or down.
    public var onStatusChange: ((RedisStatus) -> Void)?
    /// Called on the loop thread once the mode is known, and when a cluster's map changes (a logging hook).
    public var onTopology: ((String) -> Void)?

    public init(loop: EventLoop, configuration: RedisConfiguration) {
        self.loop = loop
        self.configuration = configuration
    }

    // MARK: Public API (any thread)

    public func start() {
        loop.execute { [self] in openControl() }
    }

    /// Shuts every connection down (their pending commands fail with `.shutdown`) and stops refreshing.
    public func shutdown() {
        loop.execute { [self] in
            stopped = true
            if let refreshTimer { loop.cancelTimer(refreshTimer.id) }
            refreshTimer = nil
            let (control, connections) = routing.withLock { ($0.control, Array($0.connections.values)) }
            control?.shutdown()
            for connection in connections { connection.shutdown() }
        }
    }

    /// True when the mode is known and, in a cluster, every slot has a primary whose connection is up.
    public var isUp: Bool {
        if let connection = standalone { return connection.isUp }
        return routing.withLock { routing in
            switch routing.mode {
            case .discovering: false
            case .standalone(let connection): connection.isUp
            case .cluster: Self.everySlotServed(routing)
            }
        }
    }

    /// True once `INFO cluster` said the server is a cluster node.
    public var isCluster: Bool {
        if standalone != nil { return false }
        return routing.withLock { if case .cluster = $0.mode { true } else { false } }
    }

    /// The standalone connection's status, or in a cluster one summary: up as `isUp`, the latest error of any node,
    /// the sum of every connection's reconnects.
    public var status: RedisStatus {
        routing.withLock { routing in
            switch routing.mode {
            case .standalone(let connection):
                return connection.status
            case .discovering:
                var status = routing.control?.status ?? RedisStatus()
                if status.state == .up { status.state = .connecting }
                return status
            case .cluster:
                var status = RedisStatus()
                status.state = Self.everySlotServed(routing) ? .up : .down
                status.lastError = routing.lastError
                status.movedRedirects = routing.movedRedirects
                status.askRedirects = routing.askRedirects
                for connection in routing.connections.values {
                    let one = connection.status
                    status.reconnects += one.reconnects
                    status.protocolVersion = max(status.protocolVersion, one.protocolVersion)
                }
                return status
            }
        }
    }

    public var commandsInFlight: Int {
        routing.withLock { routing in
            switch routing.mode {
            case .discovering: 0
            case .standalone(let connection): connection.commandsInFlight
            case .cluster: routing.connections.values.reduce(0) { $0 + $1.commandsInFlight }
            }
        }
    }

    /// Queues `commandCount` commands, encoded back to back in `bytes`: one command or one `MULTI … EXEC` block whose
    /// keys all hash to `slot` (ignored by a standalone server). Replies reach `handler` on the loop thread with tags
    /// `0..<commandCount`, in order, as with `RedisConnection.submit`.
    ///
    /// Throws at once, having queued nothing, while the mode is unknown or the slot's primary is unreachable
    /// (`.notConnected`), and as `RedisConnection.submit` does.
    public func submit(
        encoded bytes: UnsafeRawBufferPointer, commandCount: Int, slot: HashSlot,
        handler: any RedisReplyHandler
    ) throws(RedisError) {
        if let connection = standalone {
            try connection.submit(encoded: bytes, commandCount: commandCount, handler: handler)
            return
        }
        let route: (RedisConnection, ClusterEndpoint?)? = routing.withLock { routing in
            switch routing.mode {
            case .discovering: return nil
            case .standalone(let connection): return (connection, nil)
            case .cluster:
                guard let primary = routing.map?.primary(for: slot), let connection = routing.connections[primary]
                else { return nil }
                return (connection, primary)
            }
        }
        guard let (connection, primary) = route else {
            throw .notConnected(isCluster ? "no reachable primary for slot \(slot)" : "redis mode not known yet")
        }
        guard let primary else {
            try connection.submit(encoded: bytes, commandCount: commandCount, handler: handler)
            return
        }
        let submission = ClusterSubmission(
            router: self, commands: Array(bytes), commandCount: commandCount, handler: handler, sentTo: primary)
        try connection.submit(encoded: bytes, commandCount: commandCount, handler: submission)
    }

    static func everySlotServed(_ routing: Routing) -> Bool {
        guard let map = routing.map, map.isComplete else { return false }
        return map.shards.allSatisfy { routing.connections[$0.primary]?.isUp == true }
    }

    // MARK: Connections

    /// A connection to `endpoint` with this router's credentials and hooks, started; its status changes go to
    /// `onStatus` with the connection, so a change from a connection already replaced can be told apart.
    func connect(
        to endpoint: ClusterEndpoint, database: Int,
        onStatus: @escaping (RedisRouter, RedisConnection, RedisStatus) -> Void
    ) -> RedisConnection {
        var configuration = configuration
        configuration.url = configuration.url.pointing(to: endpoint)
        configuration.url.database = database
        let connection = RedisConnection(loop: loop, configuration: configuration)
        connection.onBatchWritten = onBatchWritten
        connection.onRoundTrip = onRoundTrip
        connection.onSubmissionWaited = onSubmissionWaited
        connection.onStatusChange = { [weak self, weak connection] status in
            guard let self, let connection else { return }
            onStatus(self, connection, status)
        }
        connection.start()
        return connection
    }

    /// Announces the whole going up or down, once per change. Loop thread.
    func announceIfChanged() {
        let up = isUp
        guard up != announcedUp else { return }
        announcedUp = up
        onStatusChange?(status)
    }
}
