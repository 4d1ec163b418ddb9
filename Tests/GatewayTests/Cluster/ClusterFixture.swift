import Foundation
import Gateway
import Glibc
import RespClient
import TestSupport

/// A private six-node Redis Cluster with the real gateway in front of it, pointed at every node as a seed.
final class ClusterFixture: @unchecked Sendable {
    let cluster: RedisClusterProcess
    let gateway: GatewayProcess
    let stream = "telemetry:events"
    let shardCount: Int

    init(shards: Int = 16, gatewayArguments: [String] = []) throws {
        cluster = try RedisClusterProcess()
        shardCount = shards
        do {
            gateway = try GatewayProcess(
                redisURL: cluster.seeds, arguments: ["--stream-shards", String(shards)] + gatewayArguments)
        } catch {
            cluster.stop()
            throw error
        }
    }

    func stop() {
        gateway.process.signal(SIGKILL)
        _ = gateway.process.waitForExit()
        cluster.stop()
    }

    var shardKeys: [String] { StreamShards(stream: stream, count: shardCount).keys }

    /// The node serving `key` now, from the cluster's own map as the first node that answers sees it.
    func node(for key: String) throws -> RedisServerProcess {
        let reply = cluster.nodes.lazy.compactMap { try? $0.client().command("CLUSTER", "SHARDS") }.first
        let map = try ClusterSlotMap(shardsReply: reply ?? .null)
        guard let owner = map.primary(for: HashSlot(key: key)),
            let node = cluster.nodes.first(where: { $0.port == owner.port })
        else { throw HarnessError("no primary serves \(key)") }
        return node
    }

    /// Every stored entry of every shard: shard index, device and the `value` the test sent as a sequence number.
    func storedEntries() throws -> [(shard: Int, device: String, sequence: Int)] {
        var entries: [(shard: Int, device: String, sequence: Int)] = []
        for (shard, key) in shardKeys.enumerated() {
            guard case .array(let items) = try node(for: key).client().command("XRANGE", key, "-", "+") else {
                continue
            }
            for item in items {
                guard case .array(let parts) = item, parts.count == 2, case .array(let fields) = parts[1] else {
                    throw HarnessError("unexpected XRANGE entry \(item)")
                }
                var values: [String: String] = [:]
                for index in stride(from: 0, to: fields.count - 1, by: 2) {
                    values[fields[index].string ?? ""] = fields[index + 1].string
                }
                let data = try JSONSerialization.jsonObject(with: Data((values["data"] ?? "").utf8)) as? [String: Any]
                guard let device = values["device_id"], let value = data?["value"] as? Double else {
                    throw HarnessError("entry without device_id or value: \(values)")
                }
                entries.append((shard, device, Int(value)))
            }
        }
        return entries
    }

    func totalLength() throws -> Int {
        try shardKeys.reduce(0) { total, key in try total + Int(node(for: key).client().integer("XLEN", key)) }
    }
}

/// Events for `devices` devices spread over `threads` posting threads: thread `t` owns the devices `d` with
/// `d % threads == t`, so each device's events are sent in order by one thread, with its sequence number as `value`.
struct DeviceTraffic: Sendable {
    let devices: Int
    let threads: Int
    let eventsPerThread: Int

    /// The device and sequence number of a thread's `index`-th event.
    func event(thread: Int, index: Int) -> (device: String, sequence: Int) {
        let owned = devices / threads
        return ("dev-\(thread + threads * (index % owned))", index / owned)
    }

    func batch(thread: Int, from start: Int, count: Int) -> String {
        "["
            + (start..<start + count).map { index in
                let (device, sequence) = event(thread: thread, index: index)
                return Payload.event(device, value: Double(sequence))
            }.joined(separator: ",") + "]"
    }
}
