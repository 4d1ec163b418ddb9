import Reactor
import RespClient

/// The assembled gateway: one reactor thread (HTTP and Redis I/O), a pool of consumer threads, one pipelined Redis
/// connection, and the lifecycle that ties them together.
///
/// ```
///  clients ──HTTP──▶ reactor ──admit──▶ WorkQueue ──▶ consumers (JSON → XADD) ──▶ Redis outbox
///     ▲                 │ 503 at once when full                                        │
///     └──── 200 ◀───────┴──────────── reply handler on the reactor ◀── Redis replies ◀─┘
/// ```
///
/// `init` builds the object graph in dependency order, each part given exactly what it uses: the server's
/// statistics exist before the handler that reports them, the handler before the server that calls it. Nothing is
/// filled in later. A `Gateway` belongs to the thread that runs its loop: it is made, started and shut down there
/// (signals reach it through `LoopBound`).
public final class Gateway {
    public static let version = "0.1.0"

    /// How often a shutdown in progress checks whether connections and pending events are gone: often enough that
    /// an idle gateway exits within a few tens of milliseconds of SIGTERM, rarely enough to cost nothing meanwhile.
    static let drainPollInterval: Duration = .milliseconds(20)

    public let config: GatewayConfig
    public let logger: Logger
    public let loop: EventLoop
    private let context: IngestContext
    private let queue = WorkQueue<IngestJob>()
    private let state: GatewayState
    private let server: HTTPServer
    /// Consumer threads, started by `start` and joined by `joinConsumers`, both on the loop's thread.
    private var consumers: [OSThread] = []

    public init(config: GatewayConfig, logger: Logger, loop: EventLoop) {
        self.config = config
        self.logger = logger
        self.loop = loop
        let redis = RedisRouter(
            loop: loop, configuration: RedisConfiguration(url: config.redis, commandTimeout: config.redisTimeout))
        let admission = Admission(capacity: config.queueSize, highPriorityShare: config.highPriorityReserve)
        let metrics = GatewayMetrics()
        let target = StreamTarget(stream: config.stream, maxLength: config.streamMaxLength)
        let spool = config.spoolDirectory.map { directory in
            Spool(
                configuration: Spool.Configuration(directory: directory, maxBytes: config.spoolMaxBytes), redis: redis,
                admission: admission, metrics: metrics, target: target, logger: logger)
        }
        let context = IngestContext(
            loop: loop, redis: redis, admission: admission, metrics: metrics, stalls: StallMonitor(logger: logger),
            target: target, streamShards: config.streamShards,
            limits: TelemetryLimits(maxBatch: config.maxBatch, maxDecodedBodyBytes: config.maxDecodedBody), spool: spool
        )
        let state = GatewayState(logger: logger)
        let serverStatistics = HTTPServerStatistics()
        let handler = GatewayHandler(
            context: context, dispatcher: IngestDispatcher(loop: loop, queue: queue, context: context), state: state,
            pages: StatusPages(
                context: context, state: state, server: serverStatistics, queueCapacity: config.queueSize,
                workers: config.workers),
            adminToken: config.adminToken)
        let serverConfiguration = HTTPServerConfiguration(
            listener: ListenerConfiguration(host: config.host, port: config.port),
            limits: HTTPParserLimits(maxBodyBytes: config.maxBody), headerTimeout: config.headerTimeout,
            bodyTimeout: config.bodyTimeout, idleTimeout: config.idleTimeout, maxConnections: config.maxConnections)
        self.context = context
        self.state = state
        self.server = HTTPServer(
            loop: loop, configuration: serverConfiguration, handler: handler, statistics: serverStatistics)
        _ = ConsoleSite.shared  // the console's responses are built now, not on the first request
    }

    /// Binds the port, starts the consumers and the Redis connection. Call on the thread that will run the loop,
    /// before it runs (or on the loop thread). Returns the bound address.
    @discardableResult
    public func start() throws(SystemError) -> SocketAddress {
        let address = try server.start()
        let redis = context.redis
        let metrics = context.metrics
        let stalls = context.stalls
        let logger = self.logger
        redis.onBatchWritten = { metrics.redisBatchSize.observe(Double($0)) }
        redis.onRoundTrip = { nanoseconds, now in stalls.redisReplied(nanoseconds: nanoseconds, at: now) }
        redis.onSubmissionWaited = { nanoseconds, now in
            stalls.consumerCommandsWaited(nanoseconds: nanoseconds, at: now)
        }
        loop.tickObserver = stalls
        stalls.startLagProbe(on: loop)
        redis.onStatusChange = { status in
            if status.state == .up {
                logger.info(
                    "redis up", ["protocol": "RESP\(status.protocolVersion)", "reconnects": String(status.reconnects)])
            } else {
                logger.warn("redis down", ["error": status.lastError ?? "unknown"])
            }
        }
        redis.start()
        try context.spool?.start(loop: loop)
        let context = self.context
        let queue = self.queue
        for index in 0..<config.workers {
            consumers.append(
                OSThread(name: "consumer-\(index)") {
                    Consumer(context: context).run(queue)
                })
        }
        if config.queueSize < config.maxBatch {
            logger.warn(
                "queue-size is below max-batch: a full batch is admitted only when nothing else is pending",
                ["queue_size": String(config.queueSize), "max_batch": String(config.maxBatch)])
        }
        logger.info(
            "listening",
            [
                "address": address.description, "redis": config.redis.description, "stream": config.stream,
                "workers": String(config.workers), "queue_size": String(config.queueSize), "version": Self.version,
            ])
        return address
    }

    /// Waits for the consumer threads (and the spool's) after the loop has stopped.
    public func joinConsumers() {
        for consumer in consumers { consumer.join() }
        consumers = []
        context.spool?.join()
    }

    // MARK: Shutdown

    /// SIGTERM/SIGINT: stop accepting, let requests in flight finish (bounded by the drain timeout), then stop the
    /// consumers and the Redis connection and return from the loop. Loop thread.
    public func beginShutdown(reason: String) {
        guard state.beginShutdown() else { return }
        logger.info(
            "shutting down",
            [
                "reason": reason, "open_connections": String(server.openConnections),
                "pending_events": String(context.admission.pendingEvents),
            ])
        server.beginDraining()
        pollDrain(deadline: loop.now + config.drainTimeout)
    }

    private func pollDrain(deadline: MonotonicInstant) {
        let pending = context.admission.pendingEvents
        if server.openConnections == 0 && pending == 0 {
            finishShutdown()
            return
        }
        if loop.now >= deadline {
            logger.warn(
                "drain timeout: closing remaining connections",
                ["open_connections": String(server.openConnections), "pending_events": String(pending)])
            server.closeAll()
            // Events already handed to Redis still get their replies (bounded by the command timeout); only then is
            // nothing left in the pipeline.
            if pending > 0 {
                loop.scheduleTimer(after: Self.drainPollInterval) { [self] in
                    pollDrain(deadline: loop.now + config.redisTimeout)
                }
                return
            }
            finishShutdown()
            return
        }
        loop.scheduleTimer(after: Self.drainPollInterval) { [self] in pollDrain(deadline: deadline) }
    }

    private func finishShutdown() {
        queue.close()
        context.spool?.shutdown()
        context.redis.shutdown()
        logger.info("stopped", ["events_stored": String(context.metrics.eventsStored.value)])
        loop.stop()
    }
}
