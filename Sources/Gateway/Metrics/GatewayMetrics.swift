import Reactor

/// The routes the gateway reports metrics for. `unmatched` is every 404; `rejected` is a request the HTTP layer
/// refused before routing (malformed, too large, timed out).
enum RouteLabel: Int, CaseIterable, Sendable {
    case telemetry, health, ready, status, metrics, start, stop, console, unmatched, rejected

    var name: String {
        switch self {
        case .telemetry: "telemetry"
        case .health: "health"
        case .ready: "ready"
        case .status: "status"
        case .metrics: "metrics"
        case .start: "start"
        case .stop: "stop"
        case .console: "console"
        case .unmatched: "unmatched"
        case .rejected: "rejected"
        }
    }
}

/// Why events were not stored (`gateway_events_rejected_total{reason}`).
enum RejectReason: Int, CaseIterable, Sendable {
    case invalid, queueFull, redisUnavailable, redisError, stopped, unsupportedMediaType, tooLarge, spoolFull,
        spoolUnavailable

    var name: String {
        switch self {
        case .invalid: "invalid"
        case .queueFull: "queue_full"
        case .redisUnavailable: "redis_unavailable"
        case .redisError: "redis_error"
        case .stopped: "stopped"
        case .unsupportedMediaType: "unsupported_media_type"
        case .tooLarge: "too_large"
        case .spoolFull: "spool_full"
        case .spoolUnavailable: "spool_unavailable"
        }
    }
}

/// Every number the gateway exports. All members are safe to update from any thread.
final class GatewayMetrics: Sendable {
    /// Status codes with their own series; anything else is counted under its class (e.g. "5xx").
    static let trackedCodes = [100, 200, 304, 400, 401, 403, 404, 405, 408, 413, 414, 415, 431, 500, 501, 503, 505]

    private let responses: [Counter] = (0..<(RouteLabel.allCases.count * (GatewayMetrics.trackedCodes.count + 3))).map {
        _ in Counter()
    }
    let rejected: [Counter] = RejectReason.allCases.map { _ in Counter() }
    let eventsStored = Counter()
    let eventsRejected = Counter()
    /// Events waiting for a consumer thread.
    let queueDepth = Gauge()
    let jobsProcessed = Counter()
    /// Requests processed on the loop thread rather than handed to a consumer (see `IngestDispatcher`).
    let jobsInline = Counter()
    let processingMicros = Counter()
    let requestDuration = Histogram(upperBounds: [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ])
    let redisBatchSize = Histogram(upperBounds: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192])
    let latency = LatencyRecorder()
    let spool = SpoolMetrics()

    func countResponse(route: RouteLabel, status: Int) {
        responses[Self.slot(route: route, status: status)].add()
    }

    func countRejected(_ reason: RejectReason, events: Int) {
        rejected[reason.rawValue].add(events)
        eventsRejected.add(events)
    }

    /// Non-zero response counters as (route, code label, count).
    var responseCounts: [(route: String, code: String, count: Int)] {
        var result: [(String, String, Int)] = []
        let width = Self.trackedCodes.count + 3
        for route in RouteLabel.allCases {
            for column in 0..<width {
                let count = responses[route.rawValue * width + column].value
                guard count > 0 else { continue }
                let code =
                    column < Self.trackedCodes.count
                    ? String(Self.trackedCodes[column]) : ["2xx", "4xx", "5xx"][column - Self.trackedCodes.count]
                result.append((route.name, code, count))
            }
        }
        return result
    }

    private static func slot(route: RouteLabel, status: Int) -> Int {
        let width = trackedCodes.count + 3
        let column: Int
        if let tracked = trackedCodes.firstIndex(of: status) {
            column = tracked
        } else {
            column = trackedCodes.count + (status >= 500 ? 2 : status >= 400 ? 1 : 0)
        }
        return route.rawValue * width + column
    }
}
