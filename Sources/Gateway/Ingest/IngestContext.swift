import Reactor
import RespClient
import Synchronization

/// What the consumers and the Redis reply handlers share: where events go and how they are accounted for.
final class IngestContext: Sendable {
    let loop: EventLoop
    let redis: RedisRouter
    let admission: Admission
    let metrics: GatewayMetrics
    let stalls: StallMonitor
    let limits: TelemetryLimits
    /// The stream and the entry format (`XADD`).
    let target: StreamTarget
    /// The disk spool (`--spool-dir`), nil when off: then a request Redis cannot take is answered 503.
    let spool: Spool?
    /// `--stream-shards` when given; otherwise the shards follow the mode Redis turned out to be in.
    private let configuredShards: ShardedStream?
    private let standaloneShards: ShardedStream
    private let clusterShards: ShardedStream
    private let samples = Mutex(Samples())

    /// The latest stored event for /status, and at most one candidate awaiting Redis's acknowledgement. Holding one
    /// candidate rather than every request's last event keeps ~300 bytes per request in flight out of memory.
    private struct Samples {
        var latest: [UInt8]?
        var candidate: (owner: ObjectIdentifier, event: [UInt8])?
    }

    init(
        loop: EventLoop, redis: RedisRouter, admission: Admission, metrics: GatewayMetrics,
        stalls: StallMonitor, target: StreamTarget, streamShards: Int?, limits: TelemetryLimits, spool: Spool?
    ) {
        self.loop = loop
        self.redis = redis
        self.admission = admission
        self.metrics = metrics
        self.stalls = stalls
        self.limits = limits
        self.target = target
        self.spool = spool
        configuredShards = streamShards.map { ShardedStream(stream: target.stream, count: $0) }
        standaloneShards = ShardedStream(stream: target.stream, count: 1)
        // The spool replays into the unsharded stream, so with a spool the stream stays one key (see GatewayConfig).
        clusterShards = ShardedStream(
            stream: target.stream, count: spool == nil ? StreamShards.clusterDefaultCount : 1)
    }

    /// Where events go now: the configured shards, else one stream on a standalone Redis and
    /// `StreamShards.clusterDefaultCount` shards in a cluster.
    var shards: ShardedStream {
        configuredShards ?? (redis.isCluster ? clusterShards : standaloneShards)
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

/// A stream's shards with the cluster hash slot of each shard's key, computed once.
struct ShardedStream: Sendable {
    let shards: StreamShards
    let slots: [HashSlot]

    init(stream: String, count: Int) {
        shards = StreamShards(stream: stream, count: count)
        slots = shards.keys.map { HashSlot(key: $0) }
    }
}
