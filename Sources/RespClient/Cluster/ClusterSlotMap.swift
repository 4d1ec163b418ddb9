/// Which primary serves each of the 16,384 slots, and which replicas follow it, read from `CLUSTER SHARDS` (Redis 7)
/// or `CLUSTER SLOTS` (older servers, and the fallback when `CLUSTER SHARDS` is an unknown command).
///
/// The map is a value: a refresh builds a new one and swaps it in, so a router never sees half an update. A slot no
/// shard claims (during a reshard gone wrong, or a cluster still being built) maps to nil, and `isComplete` says so.
public struct ClusterSlotMap: Equatable, Sendable {
    public struct Shard: Equatable, Sendable {
        public var primary: ClusterEndpoint
        public var replicas: [ClusterEndpoint]
    }

    public private(set) var shards: [Shard]
    /// Index into `shards` for each slot, `unassigned` where no shard serves it.
    private var owners: [UInt16]
    private static let unassigned = UInt16.max

    /// A map from shards and, for each, the inclusive slot ranges it serves.
    public init(_ assignments: [(shard: Shard, ranges: [ClosedRange<Int>])]) throws(ClusterMapError) {
        shards = []
        owners = Array(repeating: Self.unassigned, count: HashSlot.count)
        for (shard, ranges) in assignments where !ranges.isEmpty {
            let index = UInt16(shards.count)
            shards.append(shard)
            for range in ranges {
                guard range.lowerBound >= 0, range.upperBound < HashSlot.count else {
                    throw .malformed("slot range \(range) outside 0...\(HashSlot.count - 1)")
                }
                for slot in range { owners[slot] = index }
            }
        }
        isComplete = !owners.contains(Self.unassigned)
    }

    public func primary(for slot: HashSlot) -> ClusterEndpoint? {
        let owner = owners[slot.rawValue]
        return owner == Self.unassigned ? nil : shards[Int(owner)].primary
    }

    public func shard(for slot: HashSlot) -> Shard? {
        let owner = owners[slot.rawValue]
        return owner == Self.unassigned ? nil : shards[Int(owner)]
    }

    /// Every slot has the same primary in both maps (however the shards are ordered: `CLUSTER SHARDS` does not keep
    /// one order from call to call).
    public func hasSameOwners(as other: ClusterSlotMap) -> Bool {
        (0..<HashSlot.count).allSatisfy { slot in
            let mine = owners[slot]
            let theirs = other.owners[slot]
            if mine == Self.unassigned || theirs == Self.unassigned { return mine == theirs }
            return shards[Int(mine)].primary == other.shards[Int(theirs)].primary
        }
    }

    /// Every slot has a primary.
    /// Kept rather than computed: the gateway asks on every request (through `RedisRouter.isUp`), and scanning 16,384
    /// owners each time would cost microseconds.
    public private(set) var isComplete = false

    /// The map after a `MOVED`: the slot belongs to `endpoint` (a known primary, or a new shard without replicas).
    public func moving(_ slot: HashSlot, to endpoint: ClusterEndpoint) -> ClusterSlotMap {
        var map = self
        if let index = map.shards.firstIndex(where: { $0.primary == endpoint }) {
            map.owners[slot.rawValue] = UInt16(index)
        } else {
            map.owners[slot.rawValue] = UInt16(map.shards.count)
            map.shards.append(Shard(primary: endpoint, replicas: []))
        }
        if !map.isComplete { map.isComplete = !map.owners.contains(Self.unassigned) }
        return map
    }
}

public enum ClusterMapError: Error, Equatable, Sendable {
    case malformed(String)
}

extension ClusterSlotMap {
    /// Reads a `CLUSTER SHARDS` reply: per shard, `slots` (start, end pairs) and `nodes` (maps with `ip`, `endpoint`,
    /// `port`, `role`, `health`), as RESP2 flat key-value arrays or RESP3 maps. Failed nodes are left out.
    public init(shardsReply reply: RESPValue) throws(ClusterMapError) {
        guard let shardValues = reply.elements else { throw .malformed("CLUSTER SHARDS: not an array") }
        var assignments: [(shard: Shard, ranges: [ClosedRange<Int>])] = []
        for shardValue in shardValues {
            let fields = try Self.fields(of: shardValue, "shard")
            guard let bounds = fields["slots"]?.elements?.compactMap(\.integerValue), bounds.count % 2 == 0 else {
                throw .malformed("CLUSTER SHARDS: shard without slot pairs")
            }
            let ranges = try stride(from: 0, to: bounds.count, by: 2).map { i throws(ClusterMapError) in
                guard bounds[i] <= bounds[i + 1] else { throw .malformed("slot range \(bounds[i])-\(bounds[i + 1])") }
                return bounds[i]...bounds[i + 1]
            }
            var primary: ClusterEndpoint?
            var replicas: [ClusterEndpoint] = []
            for nodeValue in fields["nodes"]?.elements ?? [] {
                let node = try Self.fields(of: nodeValue, "node")
                guard node["health"]?.string != "failed", let endpoint = Self.endpoint(of: node) else { continue }
                if node["role"]?.string == "master" { primary = endpoint } else { replicas.append(endpoint) }
            }
            guard let primary else {
                if ranges.isEmpty { continue }  // a shard of replicas only, between failover steps
                throw .malformed("CLUSTER SHARDS: slots \(ranges) without a primary")
            }
            assignments.append((Shard(primary: primary, replicas: replicas), ranges))
        }
        try self.init(assignments)
    }

    /// Reads a `CLUSTER SLOTS` reply: `[start, end, [host, port, id, ...], replica...]` per range.
    public init(slotsReply reply: RESPValue) throws(ClusterMapError) {
        guard let ranges = reply.elements else { throw .malformed("CLUSTER SLOTS: not an array") }
        var byPrimary: [ClusterEndpoint: (shard: Shard, ranges: [ClosedRange<Int>])] = [:]
        var order: [ClusterEndpoint] = []
        for rangeValue in ranges {
            guard let parts = rangeValue.elements, parts.count >= 3, let start = parts[0].integerValue,
                let end = parts[1].integerValue, start <= end
            else { throw .malformed("CLUSTER SLOTS: bad range entry") }
            let nodes = parts[2...].compactMap { node -> ClusterEndpoint? in
                guard let fields = node.elements, fields.count >= 2, let host = fields[0].string,
                    let port = fields[1].integerValue
                else { return nil }
                return ClusterEndpoint(host: host, port: port)
            }
            guard let primary = nodes.first else { throw .malformed("CLUSTER SLOTS: range without a node") }
            if byPrimary[primary] == nil {
                order.append(primary)
                byPrimary[primary] = (Shard(primary: primary, replicas: Array(nodes.dropFirst())), [])
            }
            byPrimary[primary]?.ranges.append(start...end)
        }
        try self.init(order.compactMap { byPrimary[$0] })
    }

    /// A node's preferred endpoint (`endpoint`, which the cluster sets from `cluster-preferred-endpoint-type`), or its
    /// `ip` when the endpoint is unknown (`?`) or empty.
    private static func endpoint(of node: [String: RESPValue]) -> ClusterEndpoint? {
        guard let port = node["port"]?.integerValue ?? node["tls-port"]?.integerValue else { return nil }
        if let preferred = node["endpoint"]?.string, !preferred.isEmpty, preferred != "?" {
            return ClusterEndpoint(host: preferred, port: port)
        }
        return node["ip"]?.string.map { ClusterEndpoint(host: $0, port: port) }
    }

    /// The fields of a RESP3 map or of a RESP2 array of alternating names and values.
    private static func fields(of value: RESPValue, _ what: String) throws(ClusterMapError) -> [String: RESPValue] {
        var fields: [String: RESPValue] = [:]
        switch value {
        case .map(let pairs):
            for pair in pairs { if let name = pair.key.string { fields[name] = pair.value } }
        case .array(let items) where items.count % 2 == 0:
            for i in stride(from: 0, to: items.count, by: 2) {
                if let name = items[i].string { fields[name] = items[i + 1] }
            }
        default:
            throw .malformed("CLUSTER SHARDS: \(what) is neither a map nor name/value pairs")
        }
        return fields
    }
}

extension RESPValue {
    /// The items of an array or set reply.
    var elements: [RESPValue]? {
        switch self {
        case .array(let items), .set(let items): items
        default: nil
        }
    }

    /// An integer reply, or a bulk/simple string holding a decimal integer.
    var integerValue: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        default: string.flatMap { Int($0) }
        }
    }
}
