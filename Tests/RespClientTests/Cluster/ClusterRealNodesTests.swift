import TestSupport
import Testing

@testable import RespClient

/// The cluster readers against a real six-node Redis Cluster (three primaries, three replicas): what the real
/// servers say about slots, maps and redirects must agree with what the client computes.
@Suite(.serialized) struct ClusterRealNodesTests {
    @Test func slotsMapsAndRedirectsAgreeWithARealCluster() throws {
        let cluster = try RedisClusterProcess()
        defer { cluster.stop() }
        let client = try cluster.nodes[0].client()

        // Hash slots: the server's CLUSTER KEYSLOT for keys with and without hash tags.
        var generator = SeededGenerator(seed: 7)
        for index in 0..<500 {
            let base = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 36)
            let key = index % 3 == 0 ? "telemetry:{\(index % 16)}" : index % 3 == 1 ? "{\(base)}x" : base
            let expected = try client.integer("CLUSTER", "KEYSLOT", key)
            #expect(HashSlot(key: key).rawValue == Int(expected), "key \(key)")
        }

        // The two ways of asking for the map agree, and cover every slot with one of the three primaries.
        let shards = try ClusterSlotMap(shardsReply: client.command("CLUSTER", "SHARDS"))
        let slots = try ClusterSlotMap(slotsReply: client.command("CLUSTER", "SLOTS"))
        #expect(shards.isComplete && shards.shards.count == 3 && shards.shards.allSatisfy { $0.replicas.count == 1 })
        for raw in stride(from: 0, to: HashSlot.count, by: 97) {
            let slot = HashSlot(raw)!
            #expect(shards.primary(for: slot) == slots.primary(for: slot))
        }

        // A write to a node that does not own the key's slot is answered MOVED, to the primary the map names.
        let key = "telemetry:{3}"
        let slot = HashSlot(key: key)
        let owner = try #require(shards.primary(for: slot))
        let primaryPorts = shards.shards.map(\.primary.port)
        let other = try #require(cluster.nodes.first { $0.port != owner.port && primaryPorts.contains($0.port) })
        guard case .error(let text) = try other.client().command("SET", key, "1") else {
            Issue.record("a write to the wrong primary succeeded")
            return
        }
        let redirect = try #require(ClusterRedirect(RedisServerError(text)))
        #expect(redirect.kind == .moved && redirect.slot == slot && redirect.endpoint == owner)
    }
}
