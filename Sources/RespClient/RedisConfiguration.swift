/// How a `RedisConnection` connects and when it gives up, with the reason for each default.
public struct RedisConfiguration: Sendable {
    public var url: RedisURL
    /// A TCP connect plus handshake (HELLO/AUTH/SELECT) that takes longer than this is abandoned and retried.
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

    public init(
        url: RedisURL = RedisURL(), connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(1),
        maxCommandsInFlight: Int = 1 << 16, reconnectBaseDelay: Duration = .milliseconds(50),
        reconnectMaxDelay: Duration = .seconds(2), decoderLimits: RESPDecoderLimits = .init()
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
}

/// Receives the replies of submitted commands. Called on the loop thread, exactly once per command, in submission
/// order; `tag` is the command's index within its submission.
public protocol RedisReplyHandler: AnyObject, Sendable {
    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int)
}
