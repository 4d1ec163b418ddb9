import Reactor
import RespClient

/// A point-in-time reading of everything `/metrics` and `/status` show, taken on the loop thread.
struct MetricsReport {
    let metrics: GatewayMetrics
    let stalls: StallMonitor
    let redis: RedisStatus
    let redisInFlight: Int
    let server: HTTPServer.Statistics
    let uptimeSeconds: Double
    let running: Bool
    let queueCapacity: Int
    let eventsPending: Int
    let workers: Int
    let process = ProcessStats.recentSample()
    var residentBytes: Int { process.residentBytes }
    var openFDs: Int { process.openDescriptors }
    var maxFDs: Int { process.maxDescriptors }

    // MARK: Prometheus text format 0.0.4

    var prometheusText: [UInt8] {
        var out = PrometheusWriter()
        out.family("gateway_http_requests_total", "counter", "HTTP responses sent, by route and status code.")
        for entry in metrics.responseCounts {
            out.sample(
                "gateway_http_requests_total", labels: [("route", entry.route), ("code", entry.code)], entry.count)
        }
        out.family("gateway_events_stored_total", "counter", "Events acknowledged by Redis and answered 200.")
        out.sample("gateway_events_stored_total", metrics.eventsStored.value)
        out.family("gateway_events_rejected_total", "counter", "Events not stored, by reason.")
        for reason in RejectReason.allCases {
            out.sample(
                "gateway_events_rejected_total", labels: [("reason", reason.name)],
                metrics.rejected[reason.rawValue].value)
        }
        out.family("gateway_queue_depth", "gauge", "Events waiting for a consumer thread.")
        out.sample("gateway_queue_depth", metrics.queueDepth.value)
        out.family("gateway_events_pending", "gauge", "Events admitted and not yet answered (bounded by --queue-size).")
        out.sample("gateway_events_pending", eventsPending)
        out.family("gateway_queue_capacity", "gauge", "The --queue-size bound on pending events.")
        out.sample("gateway_queue_capacity", queueCapacity)
        out.family("gateway_ingestion_running", "gauge", "1 while ingestion runs, 0 after POST /stop.")
        out.sample("gateway_ingestion_running", running ? 1 : 0)
        out.family("gateway_redis_up", "gauge", "1 when the Redis connection is up.")
        out.sample("gateway_redis_up", redis.state == .up ? 1 : 0)
        out.family("gateway_redis_inflight", "gauge", "Redis commands queued or awaiting a reply.")
        out.sample("gateway_redis_inflight", redisInFlight)
        out.family("gateway_redis_reconnects_total", "counter", "Times the Redis connection was re-established.")
        out.sample("gateway_redis_reconnects_total", redis.reconnects)
        out.family("gateway_redis_redirects_total", "counter", "Redis Cluster redirects followed, by kind.")
        out.sample("gateway_redis_redirects_total", labels: [("kind", "moved")], redis.movedRedirects)
        out.sample("gateway_redis_redirects_total", labels: [("kind", "ask")], redis.askRedirects)
        out.histogram("gateway_redis_batch_size", "Commands per pipelined write to Redis.", metrics.redisBatchSize)
        out.histogram(
            "gateway_request_duration_seconds",
            "POST /telemetry latency, from the complete request to the response.", metrics.requestDuration)
        out.family("gateway_connections_open", "gauge", "Open client connections.")
        out.sample("gateway_connections_open", server.open)
        out.family("gateway_connections_accepted_total", "counter", "Client connections accepted.")
        out.sample("gateway_connections_accepted_total", server.accepted)
        out.family("gateway_connections_refused_total", "counter", "Connections answered 503 and closed at accept.")
        out.sample("gateway_connections_refused_total", labels: [("reason", "capacity")], server.refusedOverCapacity)
        out.sample(
            "gateway_connections_refused_total", labels: [("reason", "descriptors")], server.shedForDescriptorExhaustion
        )
        out.family(
            "gateway_accept_pauses_total", "counter",
            "Times accepting paused for 100 ms because not even the spare descriptor could be freed.")
        out.sample("gateway_accept_pauses_total", server.acceptPauses)
        out.family(
            "gateway_accept_errors_total", "counter",
            "accept() failures other than running out of descriptors (mostly clients that gave up first).")
        out.sample("gateway_accept_errors_total", server.acceptErrors)
        out.family("gateway_http_timeouts_total", "counter", "Connections closed by a timeout, by kind.")
        out.sample("gateway_http_timeouts_total", labels: [("kind", "header")], server.headerTimeouts)
        out.sample("gateway_http_timeouts_total", labels: [("kind", "body")], server.bodyTimeouts)
        out.sample("gateway_http_timeouts_total", labels: [("kind", "idle")], server.idleTimeouts)
        out.sample("gateway_http_timeouts_total", labels: [("kind", "send")], server.sendTimeouts)
        out.family("gateway_consumer_jobs_total", "counter", "Requests processed by consumer threads.")
        out.sample("gateway_consumer_jobs_total", metrics.jobsProcessed.value)
        out.family(
            "gateway_requests_inline_total", "counter",
            "Requests small enough to be processed on the reactor thread instead of a consumer thread.")
        out.sample("gateway_requests_inline_total", metrics.jobsInline.value)
        out.histogram(
            "gateway_event_loop_lag_seconds",
            "How late the reactor's 100 ms probe timer fired: the loop was busy or not scheduled.", stalls.loopLag)
        out.histogram(
            "gateway_event_loop_tick_seconds",
            "Duration of each reactor tick, from epoll_wait's return to the last flush.", stalls.tickDuration)
        out.histogram(
            "gateway_request_receive_seconds",
            "From the tick that read a request's first byte to the tick that parsed all of it.", stalls.requestReceive)
        out.histogram(
            "gateway_handoff_wait_seconds",
            "From admission on the reactor to a consumer thread starting the request.", stalls.handOffWait)
        out.histogram(
            "gateway_consumer_to_reactor_wait_seconds",
            "From a consumer's Redis submission to the reactor taking it for the next write.",
            stalls.consumerToReactorWait)
        out.histogram(
            "gateway_redis_round_trip_seconds",
            "From the tick that wrote a command to Redis to the tick that read its reply.", stalls.redisRoundTrip)
        metrics.spool.write(into: &out)
        out.family("gateway_consumer_threads", "gauge", "Consumer threads.")
        out.sample("gateway_consumer_threads", workers)
        out.family("gateway_uptime_seconds", "gauge", "Seconds since the gateway started.")
        out.sample("gateway_uptime_seconds", uptimeSeconds)
        out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        out.sample("process_resident_memory_bytes", residentBytes)
        out.family("process_open_fds", "gauge", "Open file descriptors.")
        out.sample("process_open_fds", openFDs)
        out.family("process_max_fds", "gauge", "The descriptor limit (RLIMIT_NOFILE).")
        out.sample("process_max_fds", maxFDs)
        return out.bytes
    }

    // MARK: JSON

    func writeJSON(into writer: inout JSONWriter) {
        let latency = metrics.latency
        writer.field("samples_processed", metrics.eventsStored.value)
        writer.field("samples_dropped", metrics.eventsRejected.value)
        writer.field("queue_depth", metrics.queueDepth.value)
        writer.field("events_pending", eventsPending)
        writer.field("queue_capacity", queueCapacity)
        writer.field("latency_p50_ms", Double(latency.percentile(0.50)) / 1000)
        writer.field("latency_p90_ms", Double(latency.percentile(0.90)) / 1000)
        writer.field("latency_p95_ms", Double(latency.percentile(0.95)) / 1000)
        writer.field("latency_p99_ms", Double(latency.percentile(0.99)) / 1000)
        writer.field("latency_max_ms", Double(latency.maxMicroseconds) / 1000)
        writer.field("uptime_seconds", uptimeSeconds)
        writer.field("rss_bytes", residentBytes)
        writer.field("open_fds", openFDs)
        writer.field("connections_open", server.open)
        writer.field("connections_accepted", server.accepted)
        writer.field("ingestion_running", running)
        writer.field("max_fds", maxFDs)
        writer.key("connections_refused")
        writer.beginObject()
        writer.field("capacity", server.refusedOverCapacity)
        writer.field("descriptors", server.shedForDescriptorExhaustion)
        writer.endObject()
        writer.field("accept_pauses", server.acceptPauses)
        writer.field("accept_errors", server.acceptErrors)
        writer.key("http_timeouts")
        writer.beginObject()
        writer.field("header", server.headerTimeouts)
        writer.field("body", server.bodyTimeouts)
        writer.field("idle", server.idleTimeouts)
        writer.field("send", server.sendTimeouts)
        writer.endObject()
        // [[bucket midpoint in microseconds, cumulative count], ...], non-empty buckets only (about 9% wide).
        writer.key("latency_buckets")
        writer.beginArray()
        for bucket in latency.nonEmptyBuckets {
            writer.beginArray()
            writer.integer(bucket.midpointMicroseconds)
            writer.integer(bucket.count)
            writer.endArray()
        }
        writer.endArray()
        writer.key("redis")
        writer.beginObject()
        writer.field("state", redis.state.rawValue)
        writer.field("inflight", redisInFlight)
        writer.field("reconnects", redis.reconnects)
        writer.field("moved_redirects", redis.movedRedirects)
        writer.field("ask_redirects", redis.askRedirects)
        if let error = redis.lastError { writer.field("last_error", error) } else { writer.nullField("last_error") }
        writer.endObject()
        writer.key("thread_pool")
        writer.beginObject()
        let processed = metrics.jobsProcessed.value
        writer.field("jobs_processed", processed)
        writer.field("jobs_queued", metrics.queueDepth.value)
        writer.field(
            "avg_processing_ms", processed == 0 ? 0 : Double(metrics.processingMicros.value) / Double(processed) / 1000)
        writer.field("num_threads", workers)
        writer.endObject()
        writer.key("requests")
        writer.beginObject()
        var currentRoute: String?
        for entry in metrics.responseCounts {
            if entry.route != currentRoute {
                if currentRoute != nil { writer.endObject() }
                writer.key(entry.route)
                writer.beginObject()
                currentRoute = entry.route
            }
            writer.field(entry.code, entry.count)
        }
        if currentRoute != nil { writer.endObject() }
        writer.endObject()
        writer.key("rejected")
        writer.beginObject()
        for reason in RejectReason.allCases {
            writer.field(reason.name, metrics.rejected[reason.rawValue].value)
        }
        writer.endObject()
    }
}

/// Writes the Prometheus text exposition format into bytes.
public struct PrometheusWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {
        bytes.reserveCapacity(8 * 1024)
    }

    public mutating func family(_ name: String, _ type: String, _ help: String) {
        bytes.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n".utf8)
    }

    public mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Int) {
        appendName(name, labels)
        bytes.append(contentsOf: " \(value)\n".utf8)
    }

    public mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        appendName(name, labels)
        bytes.append(contentsOf: " \(value)\n".utf8)
    }

    public mutating func histogram(_ name: String, _ help: String, _ histogram: Histogram) {
        family(name, "histogram", help)
        let snapshot = histogram.snapshot
        for (bound, count) in zip(histogram.upperBounds, snapshot.cumulative) {
            sample(name + "_bucket", labels: [("le", Self.format(bound))], count)
        }
        sample(name + "_bucket", labels: [("le", "+Inf")], snapshot.count)
        sample(name + "_sum", snapshot.sum)
        sample(name + "_count", snapshot.count)
    }

    private mutating func appendName(_ name: String, _ labels: [(String, String)]) {
        bytes.append(contentsOf: name.utf8)
        guard !labels.isEmpty else { return }
        bytes.append(UInt8(ascii: "{"))
        for (index, (key, value)) in labels.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: key.utf8)
            bytes.append(contentsOf: "=\"".utf8)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), byte])
                case 0x0A: bytes.append(contentsOf: "\\n".utf8)
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private static func format(_ bound: Double) -> String {
        bound == bound.rounded() && abs(bound) < 1e15 ? String(Int(bound)) : String(bound)
    }
}
