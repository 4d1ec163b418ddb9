import Dispatch
import Glibc
import Reactor
import RespClient
import Synchronization

/// The assembled gateway: one reactor thread (HTTP and Redis I/O), a pool of consumer threads, one pipelined Redis
/// connection, and the lifecycle that ties them together.
///
/// ```
///  clients ──HTTP──▶ reactor ──admit──▶ WorkQueue ──▶ consumers (JSON → XADD) ──▶ Redis outbox
///     ▲                 │ 503 at once when full                                        │
///     └──── 200 ◀───────┴──────────── reply handler on the reactor ◀── Redis replies ◀─┘
/// ```
public final class Gateway: @unchecked Sendable {
    public static let version = "0.1.0"

    public let config: GatewayConfig
    public let logger: Logger
    public let loop: EventLoop
    let metrics = GatewayMetrics()
    let stalls: StallMonitor
    let redis: RedisRouter
    let context: IngestContext
    let queue = WorkQueue<IngestJob>()
    private(set) var dispatcher: IngestDispatcher!
    private(set) var server: HTTPServer!
    private var consumers: [OSThread] = []
    private let running = Atomic<Bool>(true)
    private let startedAt: MonotonicInstant
    private var shutdownStarted = false
    private var cachedHealth = (key: HealthKey(redisUp: false, running: false, uptime: -1), response: HTTPResponse(status: 200))

    private struct HealthKey: Equatable {
        let redisUp: Bool
        let running: Bool
        let uptime: Int
    }

    public init(config: GatewayConfig, logger: Logger, loop: EventLoop) {
        self.config = config
        self.logger = logger
        self.loop = loop
        self.startedAt = SystemClock().now()
        self.stalls = StallMonitor(logger: logger)
        let redis = RedisRouter(loop: loop, configuration: RedisConfiguration(url: config.redis, commandTimeout: config.redisTimeout))
        self.redis = redis
        context = IngestContext(
            loop: loop, redis: redis,
            admission: Admission(capacity: config.queueSize, highPriorityShare: config.highPriorityReserve),
            metrics: metrics, stalls: stalls, stream: config.stream, streamShards: config.streamShards,
            streamMaxLength: config.streamMaxLength,
            limits: TelemetryLimits(maxBatch: config.maxBatch, maxDecodedBodyBytes: config.maxDecodedBody))
        dispatcher = IngestDispatcher(loop: loop, queue: queue, context: context)
        let limits = HTTPParserLimits(maxBodyBytes: config.maxBody)
        let serverConfiguration = HTTPServerConfiguration(
            listener: ListenerConfiguration(host: config.host, port: config.port),
            limits: limits, headerTimeout: config.headerTimeout, bodyTimeout: config.bodyTimeout,
            idleTimeout: config.idleTimeout, maxConnections: config.maxConnections)
        server = HTTPServer(loop: loop, configuration: serverConfiguration, handler: GatewayHandler(gateway: self))
        _ = ConsoleSite.shared  // the console's responses are built now, not on the first request
    }

    /// Binds the port, starts the consumers and the Redis connection. Call on the thread that will run the loop,
    /// before it runs (or on the loop thread). Returns the bound address.
    @discardableResult
    public func start() throws(SystemError) -> SocketAddress {
        let address = try server.start()
        let metrics = self.metrics
        let logger = self.logger
        redis.onBatchWritten = { metrics.redisBatchSize.observe(Double($0)) }
        let stalls = self.stalls
        redis.onRoundTrip = { nanoseconds, now in stalls.redisReplied(nanoseconds: nanoseconds, at: now) }
        redis.onSubmissionWaited = { nanoseconds, now in stalls.consumerCommandsWaited(nanoseconds: nanoseconds, at: now) }
        loop.tickObserver = stalls
        stalls.startLagProbe(on: loop)
        redis.onStatusChange = { status in
            if status.state == .up {
                logger.info("redis up", ["protocol": "RESP\(status.protocolVersion)", "reconnects": String(status.reconnects)])
            } else {
                logger.warn("redis down", ["error": status.lastError ?? "unknown"])
            }
        }
        redis.onTopology = { logger.info($0) }
        redis.start()
        let context = self.context
        let queue = self.queue
        for index in 0..<config.workers {
            consumers.append(OSThread(name: "consumer-\(index)") {
                Consumer(context: context).run(queue)
            })
        }
        if config.queueSize < config.maxBatch {
            logger.warn("queue-size is below max-batch: a full batch is admitted only when nothing else is pending",
                        ["queue_size": String(config.queueSize), "max_batch": String(config.maxBatch)])
        }
        logger.info("listening", [
            "address": address.description, "redis": config.redis.description, "stream": config.stream,
            "stream_shards": config.streamShards.map(String.init) ?? "auto",
            "workers": String(config.workers), "queue_size": String(config.queueSize), "version": Self.version,
        ])
        return address
    }

    /// Waits for the consumer threads after the loop has stopped.
    public func joinConsumers() {
        consumers.forEach { $0.join() }
        consumers = []
    }

    // MARK: State

    var isRunning: Bool { running.load(ordering: .relaxed) }

    func setRunning(_ value: Bool) {
        let previous = running.exchange(value, ordering: .relaxed)
        if previous != value {
            logger.info(value ? "ingestion started" : "ingestion stopped")
        }
    }

    var uptimeSeconds: Double {
        Double(SystemClock().now().nanoseconds(since: startedAt)) / 1e9
    }

    // MARK: Shutdown

    /// SIGTERM/SIGINT: stop accepting, let requests in flight finish (bounded by the drain timeout), then stop the
    /// consumers and the Redis connection and return from the loop. Loop thread.
    public func beginShutdown(reason: String) {
        guard !shutdownStarted else { return }
        shutdownStarted = true
        logger.info("shutting down", [
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
            logger.warn("drain timeout: closing remaining connections",
                        ["open_connections": String(server.openConnections), "pending_events": String(pending)])
            server.closeAll()
            // Events already handed to Redis still get their replies (bounded by the command timeout); only then is
            // nothing left in the pipeline.
            if pending > 0 {
                loop.scheduleTimer(after: .milliseconds(20)) { [self] in pollDrain(deadline: loop.now + config.redisTimeout) }
                return
            }
            finishShutdown()
            return
        }
        loop.scheduleTimer(after: .milliseconds(20)) { [self] in pollDrain(deadline: deadline) }
    }

    private func finishShutdown() {
        queue.close()
        redis.shutdown()
        logger.info("stopped", ["events_stored": String(metrics.eventsStored.value)])
        loop.stop()
    }

    // MARK: Responses that need the whole gateway

    /// Load balancers poll /health constantly, so the body is rebuilt only when what it says changes (Redis state,
    /// ingestion state, or the uptime's whole second). Loop thread only.
    func healthResponse() -> HTTPResponse {
        let key = HealthKey(redisUp: redis.isUp, running: isRunning, uptime: Int(uptimeSeconds))
        if key != cachedHealth.key {
            cachedHealth = (key, Responses.json(200) { writer in
                writer.field("status", key.redisUp ? "healthy" : "degraded")
                writer.field("redis", key.redisUp ? "up" : "down")
                writer.field("state", key.running ? "running" : "stopped")
                writer.field("version", Self.version)
                writer.field("uptime_seconds", key.uptime)
            })
        }
        return cachedHealth.response
    }

    func readyResponse() -> HTTPResponse {
        let redisUp = redis.isUp
        let ready = redisUp && isRunning && !shutdownStarted
        let reason = !redisUp ? "redis unavailable" : (shutdownStarted ? "shutting down" : (isRunning ? "" : "ingestion is stopped"))
        return Responses.json(ready ? 200 : 503, { writer in
            writer.field("ready", ready)
            writer.field("redis", redisUp ? "up" : "down")
            writer.field("state", isRunning ? "running" : "stopped")
            if !ready { writer.field("reason", reason) }
        }, headers: ready ? [] : [(name: "Retry-After", value: "1")])
    }

    func statusResponse() -> HTTPResponse {
        let report = self.report()
        let latest = context.latestSample
        return Responses.json(200) { writer in
            writer.field("state", isRunning ? "running" : "stopped")
            writer.field("version", Self.version)
            writer.field("uptime_seconds", uptimeSeconds)
            writer.field("redis", redis.isUp ? "up" : "down")
            if let latest { writer.rawField("latest_sample", latest) } else { writer.nullField("latest_sample") }
            writer.key("metrics")
            writer.beginObject()
            report.writeJSON(into: &writer)
            writer.endObject()
        }
    }

    func metricsResponse(json: Bool) -> HTTPResponse {
        let report = self.report()
        if json {
            return Responses.json(200) { report.writeJSON(into: &$0) }
        }
        return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: report.prometheusText)
    }

    private func report() -> MetricsReport {
        MetricsReport(
            metrics: metrics, stalls: stalls, redis: redis.status, redisInFlight: redis.commandsInFlight, server: server.stats,
            uptimeSeconds: uptimeSeconds, running: isRunning, queueCapacity: config.queueSize,
            eventsPending: context.admission.pendingEvents, workers: config.workers)
    }
}
