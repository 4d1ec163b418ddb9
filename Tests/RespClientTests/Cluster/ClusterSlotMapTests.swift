import Testing

@testable import RespClient

@Suite struct ClusterSlotMapTests {
    private func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    private func node(
        _ port: Int, _ role: String, health: String = "online", endpoint: String = "127.0.0.1"
    )
        -> [RESPValue]
    {
        [
            bulk("id"), bulk("node\(port)"), bulk("port"), .integer(Int64(port)), bulk("ip"), bulk("127.0.0.1"),
            bulk("endpoint"), bulk(endpoint), bulk("role"), bulk(role), bulk("health"), bulk(health),
        ]
    }

    private func shard(_ slots: [Int64], _ nodes: [[RESPValue]]) -> RESPValue {
        .array([bulk("slots"), .array(slots.map(RESPValue.integer)), bulk("nodes"), .array(nodes.map(RESPValue.array))])
    }

    @Test func readsClusterShardsInRESP2() throws {
        let reply = RESPValue.array([
            shard([0, 5460], [node(7000, "master"), node(7003, "replica")]),
            shard([5461, 10922], [node(7001, "master"), node(7004, "replica", health: "failed")]),
            shard([10923, 12000, 12001, 16383], [node(7002, "master", endpoint: "?"), node(7005, "replica")]),
        ])
        let map = try ClusterSlotMap(shardsReply: reply)
        #expect(map.isComplete && map.shards.count == 3)
        #expect(map.primary(for: HashSlot(0)!)?.port == 7000 && map.primary(for: HashSlot(5461)!)?.port == 7001)
        #expect(map.primary(for: HashSlot(16_383)!) == ClusterEndpoint(host: "127.0.0.1", port: 7002))
        #expect(map.shard(for: HashSlot(100)!)?.replicas == [ClusterEndpoint(host: "127.0.0.1", port: 7003)])
        #expect(map.shard(for: HashSlot(6000)!)?.replicas == [])  // the failed replica is left out
    }

    @Test func readsClusterShardsInRESP3() throws {
        func map(_ items: [RESPValue]) -> RESPValue {
            .map(stride(from: 0, to: items.count, by: 2).map { RESPPair(key: items[$0], value: items[$0 + 1]) })
        }
        let reply = RESPValue.array([
            map([
                bulk("slots"), .array([.integer(0), .integer(16_383)]), bulk("nodes"),
                .array([map(node(7000, "master"))]),
            ])
        ])
        let slotMap = try ClusterSlotMap(shardsReply: reply)
        #expect(slotMap.isComplete && slotMap.primary(for: HashSlot(9000)!)?.port == 7000)
    }

    @Test func readsClusterSlots() throws {
        func host(_ port: Int64) -> RESPValue { .array([bulk("127.0.0.1"), .integer(port), bulk("id\(port)")]) }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(8000), host(7000), host(7002)]),
            .array([.integer(8001), .integer(16_000), host(7001)]),
            .array([.integer(16_001), .integer(16_383), host(7000), host(7002)]),
        ])
        let map = try ClusterSlotMap(slotsReply: reply)
        #expect(map.isComplete && map.shards.count == 2)
        #expect(map.primary(for: HashSlot(16_100)!)?.port == 7000 && map.primary(for: HashSlot(9000)!)?.port == 7001)
        #expect(map.shard(for: HashSlot(1)!)?.replicas.map(\.port) == [7002])
    }

    @Test func leavesUnclaimedSlotsEmptyAndFollowsMoved() throws {
        let reply = RESPValue.array([shard([0, 99], [node(7000, "master")])])
        let map = try ClusterSlotMap(shardsReply: reply)
        #expect(!map.isComplete && map.primary(for: HashSlot(100)!) == nil)
        let moved = map.moving(HashSlot(100)!, to: ClusterEndpoint(host: "127.0.0.1", port: 7009))
        #expect(moved.primary(for: HashSlot(100)!)?.port == 7009 && map.primary(for: HashSlot(100)!) == nil)
        #expect(moved.moving(HashSlot(5)!, to: ClusterEndpoint(host: "127.0.0.1", port: 7009)).shards.count == 2)
    }

    @Test func rejectsMalformedReplies() {
        #expect(throws: ClusterMapError.self) { try ClusterSlotMap(shardsReply: .integer(1)) }
        #expect(throws: ClusterMapError.self) { try ClusterSlotMap(shardsReply: .array([shard([0], [])])) }
        #expect(throws: ClusterMapError.self) { try ClusterSlotMap(shardsReply: .array([shard([5, 1], [])])) }
        #expect(throws: ClusterMapError.self) {
            try ClusterSlotMap(shardsReply: .array([shard([0, 20_000], [node(7000, "master")])]))
        }
        #expect(throws: ClusterMapError.self) {
            try ClusterSlotMap(shardsReply: .array([shard([0, 10], [node(7000, "replica")])]))
        }
        #expect(throws: ClusterMapError.self) { try ClusterSlotMap(slotsReply: .array([.array([.integer(0)])])) }
    }
}
