/// Which stream key a device's events go to when the stream is split into shards (`--stream-shards N`).
///
/// Shard `n` of stream `telemetry:events` is the key `telemetry:events:{n}`: the braces are a Redis Cluster hash tag,
/// so the whole key hashes as `n` and the shards spread over the cluster's primaries while each stays one key on one
/// node. A device always maps to the same shard — FNV-1a (32-bit) of its `device_id` bytes, modulo N — so its readings
/// stay in one stream, in order. FNV-1a is fixed by its definition, so the mapping is the same in every build and on
/// every gateway behind a load balancer; changing N moves devices between shards (documented in OPERATIONS.md).
///
/// With one shard the key is the stream name itself, exactly as before sharding existed, so existing consumers and
/// data are unaffected until an operator asks for shards.
public struct StreamShards: Equatable, Sendable {
    /// Upper bound on `--stream-shards`: far more than the primaries of any cluster this gateway is sized for, and few
    /// enough that a processor can read every shard in one XREADGROUP.
    public static let maximumCount = 1_024
    /// Shards when Redis is a cluster and `--stream-shards` is not given: 16 spreads the stream over up to 16
    /// primaries (a cluster of 3 gets 5 or 6 shards each, close to even) and stays one XREADGROUP for a processor.
    public static let clusterDefaultCount = 16

    public let stream: String
    public let count: Int
    /// The key of each shard, built once: the hot path indexes this array instead of formatting a string per event.
    public let keys: [String]

    public init(stream: String, count: Int) {
        precondition((1...Self.maximumCount).contains(count), "shard count \(count) out of range")
        self.stream = stream
        self.count = count
        keys = count == 1 ? [stream] : (0..<count).map { "\(stream):{\($0)}" }
    }

    /// The shard of a device.
    public func shard<DeviceID: Sequence<UInt8>>(of deviceID: DeviceID) -> Int {
        count == 1 ? 0 : Int(Self.fnv1a(deviceID) % UInt32(count))
    }

    public func key<DeviceID: Sequence<UInt8>>(for deviceID: DeviceID) -> String {
        keys[shard(of: deviceID)]
    }

    static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5  // offset basis
        for byte in bytes {
            hash = (hash ^ UInt32(byte)) &* 0x0100_0193  // FNV prime
        }
        return hash
    }
}
