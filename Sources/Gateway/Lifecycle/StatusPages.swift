import Reactor
import RespClient

/// The answers to `GET /health`, `/ready`, `/status` and `/metrics`: what the gateway reports about itself.
/// Loop thread only (the server's statistics and the cached health body are loop-thread state).
final class StatusPages {
    private let context: IngestContext
    private let state: GatewayState
    private let server: HTTPServerStatistics
    private let queueCapacity: Int
    private let workers: Int
    private let startedAt = SystemClock().now()
    private var cachedHealth = (
        key: HealthKey(redisUp: false, running: false, uptime: -1), response: HTTPResponse(status: 200)
    )

    private struct HealthKey: Equatable {
        let redisUp: Bool
        let running: Bool
        let uptime: Int
        /// With a spool: whether it holds events (or is still being recovered), and how much.
        var spooled: Spooled?
    }

    private struct Spooled: Equatable {
        let holding: Bool
        let bytes: Int
        let events: Int
    }

    init(context: IngestContext, state: GatewayState, server: HTTPServerStatistics, queueCapacity: Int, workers: Int) {
        self.context = context
        self.state = state
        self.server = server
        self.queueCapacity = queueCapacity
        self.workers = workers
    }

    private var redis: RedisRouter { context.redis }

    var uptimeSeconds: Double {
        Double(SystemClock().now().nanoseconds(since: startedAt)) / 1e9
    }

    /// Load balancers poll /health constantly, so the body is rebuilt only when what it says changes (Redis state,
    /// ingestion state, the spool's contents, or the uptime's whole second).
    func health() -> HTTPResponse {
        let spooled = context.spool.map {
            Spooled(holding: $0.holdsEvents, bytes: $0.metrics.bytes.value, events: $0.metrics.events.value)
        }
        let key = HealthKey(redisUp: redis.isUp, running: state.isRunning, uptime: Int(uptimeSeconds), spooled: spooled)
        if key != cachedHealth.key {
            cachedHealth = (
                key,
                Responses.json(200) { writer in
                    // Events in the spool (or a spool still being recovered) are safe but not yet in Redis: degraded
                    // until it has drained.
                    writer.field("status", key.redisUp && key.spooled?.holding != true ? "healthy" : "degraded")
                    writer.field("redis", key.redisUp ? "up" : "down")
                    writer.field("state", key.running ? "running" : "stopped")
                    writer.field("version", Gateway.version)
                    writer.field("uptime_seconds", key.uptime)
                    if let spooled = key.spooled {
                        writer.field("spool_bytes", spooled.bytes)
                        writer.field("spool_events", spooled.events)
                    }
                }
            )
        }
        return cachedHealth.response
    }

    func ready() -> HTTPResponse {
        let redisUp = redis.isUp
        let running = state.isRunning
        let shuttingDown = state.isShuttingDown
        // With a spool the gateway still acknowledges durably while Redis is away, so it stays ready.
        let storable = redisUp || context.spool != nil
        let ready = storable && running && !shuttingDown
        let reason =
            !storable ? "redis unavailable" : (shuttingDown ? "shutting down" : (running ? "" : "ingestion is stopped"))
        return Responses.json(
            ready ? 200 : 503,
            { writer in
                writer.field("ready", ready)
                writer.field("redis", redisUp ? "up" : "down")
                writer.field("state", running ? "running" : "stopped")
                if !ready { writer.field("reason", reason) }
            }, headers: ready ? [] : [(name: "Retry-After", value: "1")])
    }

    func status() -> HTTPResponse {
        let report = self.report()
        let latest = context.latestSample
        return Responses.json(200) { writer in
            writer.field("state", state.isRunning ? "running" : "stopped")
            writer.field("version", Gateway.version)
            writer.field("uptime_seconds", uptimeSeconds)
            writer.field("redis", redis.isUp ? "up" : "down")
            if let latest { writer.rawField("latest_sample", latest) } else { writer.nullField("latest_sample") }
            writer.key("metrics")
            writer.beginObject()
            report.writeJSON(into: &writer)
            writer.endObject()
        }
    }

    func metrics(json: Bool) -> HTTPResponse {
        let report = self.report()
        if json {
            return Responses.json(200) { report.writeJSON(into: &$0) }
        }
        return HTTPResponse(
            status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: report.prometheusText)
    }

    private func report() -> MetricsReport {
        MetricsReport(
            metrics: context.metrics, stalls: context.stalls, redis: redis.status,
            redisInFlight: redis.commandsInFlight,
            server: server.snapshot, uptimeSeconds: uptimeSeconds, running: state.isRunning,
            queueCapacity: queueCapacity, eventsPending: context.admission.pendingEvents, workers: workers)
    }
}
