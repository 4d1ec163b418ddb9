import RespClient
import Testing

@testable import Gateway

@Suite struct StreamShardsTests {
    /// The published FNV-1a 32-bit test vectors, so the device → shard mapping can be reproduced by any tool.
    @Test func fnv1aMatchesItsDefinition() {
        #expect(StreamShards.fnv1a([UInt8]()) == 0x811C_9DC5)
        #expect(StreamShards.fnv1a(Array("a".utf8)) == 0xE40C_292C)
        #expect(StreamShards.fnv1a(Array("foobar".utf8)) == 0xBF9C_F968)
    }

    @Test func oneShardKeepsTheStreamName() {
        let shards = StreamShards(stream: "telemetry:events", count: 1)
        #expect(shards.keys == ["telemetry:events"] && shards.key(for: Array("dev-1".utf8)) == "telemetry:events")
    }

    @Test func shardKeysAreHashTagged() {
        let shards = StreamShards(stream: "telemetry:events", count: 16)
        #expect(shards.keys.first == "telemetry:events:{0}" && shards.keys.last == "telemetry:events:{15}")
        // The hash tag makes each shard's slot the slot of its number alone.
        for (index, key) in shards.keys.enumerated() {
            #expect(HashSlot(key: key) == HashSlot(key: String(index)))
        }
    }

    @Test func devicesStayOnOneShardAndSpreadOverAll() {
        let shards = StreamShards(stream: "s", count: 16)
        var perShard = Array(repeating: 0, count: 16)
        for device in 0..<16_000 {
            let id = Array("device-\(device)".utf8)
            let shard = shards.shard(of: id)
            #expect(shard == shards.shard(of: id))
            perShard[shard] += 1
        }
        // 1,000 expected per shard; FNV-1a over sequential names stays well within ±20%.
        #expect(perShard.allSatisfy { (800...1_200).contains($0) }, "\(perShard)")
    }
}
