import Reactor
import RespClient
import Synchronization

/// What the consumers and the Redis reply handlers share: where events go and how they are accounted for.
final class IngestContext: Sendable {
    let loop: EventLoop
    let redis: RedisConnection
    let admission: Admission
    let metrics: GatewayMetrics
    let stalls: StallMonitor
    let limits: TelemetryLimits
    /// The stream and the entry format (`XADD`).
    let target: StreamTarget
    /// The disk spool (`--spool-dir`), nil when off: then a request Redis cannot take is answered 503.
    let spool: Spool?
    private let samples = Mutex(Samples())

    /// The latest stored event for /status, and at most one candidate awaiting Redis's acknowledgement. Holding one
    /// candidate rather than every request's last event keeps ~300 bytes per request in flight out of memory.
    private struct Samples {
        var latest: [UInt8]?
        var candidate: (owner: ObjectIdentifier, event: [UInt8])?
    }

    init(loop: EventLoop, redis: RedisConnection, admission: Admission, metrics: GatewayMetrics,
         stalls: StallMonitor, target: StreamTarget, limits: TelemetryLimits, spool: Spool?) {
        self.loop = loop
        self.redis = redis
        self.admission = admission
        self.metrics = metrics
        self.stalls = stalls
        self.limits = limits
        self.target = target
        self.spool = spool
    }

    /// The stored JSON of a recent event Redis acknowledged (for GET /status).
    var latestSample: [UInt8]? { samples.withLock { $0.latest } }

    /// Offers `event` as the next latest sample; taken only when no other candidate is pending. Call before
    /// submitting the request to Redis, so its acknowledgement cannot overtake the offer.
    func offerSample(_ event: [UInt8], from request: AnyObject) -> Bool {
        samples.withLock { samples in
            guard samples.candidate == nil else { return false }
            samples.candidate = (ObjectIdentifier(request), event)
            return true
        }
    }

    /// The request holding the candidate finished: its event becomes the latest sample if Redis stored it.
    func sampleSettled(by request: AnyObject, stored: Bool) {
        samples.withLock { samples in
            guard let candidate = samples.candidate, candidate.owner == ObjectIdentifier(request) else { return }
            if stored { samples.latest = candidate.event }
            samples.candidate = nil
        }
    }
}
