/// How a `RedisConnection` connects and when it gives up, with the reason for each default.
public struct RedisConfiguration: Sendable {
    public var url: RedisURL
    /// A TCP connect plus handshake (HELLO/AUTH/SELECT) to one address that takes longer than this is abandoned:
    /// the next address is tried, or after the last the connection backs off and retries. Resolving a host name
    /// gets the same time.
    public var connectTimeout: Duration
    /// The oldest command without a reply after this long means the connection is stalled: every pending command
    /// fails and the connection is re-established. Callers get a fast, explicit error instead of waiting forever on
    /// a Redis that stopped answering (paused, swapping, or a dead peer behind a silent network).
    public var commandTimeout: Duration
    /// Commands queued or awaiting a reply beyond which `submit` refuses new ones at once (back-pressure).
    public var maxCommandsInFlight: Int
    /// Reconnect back-off: doubles from the base to the maximum, with jitter so a fleet of gateways does not
    /// reconnect in lock-step after a Redis restart.
    public var reconnectBaseDelay: Duration
    public var reconnectMaxDelay: Duration
    public var decoderLimits: RESPDecoderLimits

    /// 2 s: a connect and the handshake's round trips take milliseconds to a reachable Redis; 2 s also covers one
    /// retransmitted SYN (the first retransmission waits 1 s) and a Redis busy for a moment, while a dead address
    /// still gives way to the next one quickly.
    public static let defaultConnectTimeout: Duration = .seconds(2)
    /// 1 s: Redis answers an `XADD` in microseconds, so a second without a reply is a real stall (paused, swapping,
    /// a dead peer), and the HTTP client waiting behind it is better served by a 503 now than by a hang.
    public static let defaultCommandTimeout: Duration = .seconds(1)
    /// 65,536 commands: about 13 MB of 200-byte `XADD`s in the outbox and the FIFO at most, far more than Redis can
    /// be behind by while it is healthy (it answers hundreds of thousands a second).
    public static let defaultMaxCommandsInFlight = 1 << 16
    /// 50 ms: a Redis restart or a dropped connection is usually over that quickly, so the first retry is fast.
    public static let defaultReconnectBaseDelay: Duration = .milliseconds(50)
    /// 2 s: long enough that a fleet of gateways retrying a Redis that stays down costs it nothing, short enough that
    /// the gateway notices within 2 s that it is back.
    public static let defaultReconnectMaxDelay: Duration = .seconds(2)

    public init(
        url: RedisURL = RedisURL(), connectTimeout: Duration = defaultConnectTimeout,
        commandTimeout: Duration = defaultCommandTimeout, maxCommandsInFlight: Int = defaultMaxCommandsInFlight,
        reconnectBaseDelay: Duration = defaultReconnectBaseDelay,
        reconnectMaxDelay: Duration = defaultReconnectMaxDelay, decoderLimits: RESPDecoderLimits = .init()
    ) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maxCommandsInFlight = maxCommandsInFlight
        self.reconnectBaseDelay = reconnectBaseDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.decoderLimits = decoderLimits
    }
}

/// What /health, /ready and /metrics show about the Redis link. Safe to read from any thread.
public struct RedisStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case connecting, up, down
    }

    public var state: State = .connecting
    public var lastError: String?
    /// Times the link was re-established after having been up.
    public var reconnects = 0
    /// 3 after a successful `HELLO 3`, 2 when the server only speaks RESP2.
    public var protocolVersion = 0
    /// Cluster redirects followed (`RedisRouter`): `MOVED` after a slot changed owner, `ASK` while one migrates.
    public var movedRedirects = 0
    public var askRedirects = 0
}

/// Receives the replies of submitted commands. Called on the loop thread, exactly once per command, in submission
/// order; `tag` is the command's index within its submission.
public protocol RedisReplyHandler: AnyObject, Sendable {
    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int)
}
