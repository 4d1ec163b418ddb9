import Reactor
import RespClient
import Synchronization

/// What the consumers and the Redis reply handlers share: where events go and how they are accounted for.
final class IngestContext: Sendable {
    let loop: EventLoop
    let redis: RedisConnection
    let admission: Admission
    let metrics: GatewayMetrics
    let stream: String
    let streamMaxLength: Int?
    let limits: TelemetryLimits
    private let latest = Mutex<[UInt8]?>(nil)

    init(loop: EventLoop, redis: RedisConnection, admission: Admission, metrics: GatewayMetrics, stream: String,
         streamMaxLength: Int?, limits: TelemetryLimits) {
        self.loop = loop
        self.redis = redis
        self.admission = admission
        self.metrics = metrics
        self.stream = stream
        self.streamMaxLength = streamMaxLength
        self.limits = limits
    }

    /// The stored JSON of the most recent event Redis acknowledged (for GET /status).
    var latestSample: [UInt8]? { latest.withLock { $0 } }

    func recordStored(_ event: [UInt8]) {
        latest.withLock { $0 = event }
    }
}
