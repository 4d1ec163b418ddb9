import Testing

@testable import RespClient

@Suite struct ClusterRedirectTests {
    @Test func readsMovedAndAsk() throws {
        let moved = try #require(ClusterRedirect(RedisServerError("MOVED 3999 127.0.0.1:6381")))
        #expect(
            moved
                == ClusterRedirect(kind: .moved, slot: HashSlot(3999)!, endpoint: .init(host: "127.0.0.1", port: 6381)))
        let ask = try #require(ClusterRedirect(RedisServerError("ASK 0 redis-2.internal:7000")))
        #expect(ask.kind == .ask && ask.slot.rawValue == 0 && ask.endpoint.host == "redis-2.internal")
    }

    @Test func readsIPv6AndUnknownHosts() throws {
        let bare = try #require(ClusterRedirect(RedisServerError("MOVED 12 ::1:7001")))
        #expect(bare.endpoint == ClusterEndpoint(host: "::1", port: 7001) && bare.endpoint.description == "[::1]:7001")
        let bracketed = try #require(ClusterRedirect(RedisServerError("MOVED 12 [fe80::1]:7001")))
        #expect(bracketed.endpoint.host == "fe80::1")
        let unknown = try #require(ClusterRedirect(RedisServerError("MOVED 12 :7001")))
        #expect(unknown.endpoint.host.isEmpty)
        let sender = ClusterEndpoint(host: "10.0.0.5", port: 7000)
        #expect(unknown.resolved(against: sender).endpoint == ClusterEndpoint(host: "10.0.0.5", port: 7001))
        #expect(bare.resolved(against: sender) == bare)
    }

    @Test(arguments: [
        "ERR unknown command", "MOVED", "MOVED 3999", "MOVED x 127.0.0.1:1", "MOVED 16384 127.0.0.1:1",
        "MOVED 1 127.0.0.1", "MOVED 1 127.0.0.1:0", "MOVED 1 127.0.0.1:70000", "ASK 1 a:1 extra", "TRYAGAIN x",
    ])
    func rejectsWhatIsNotARedirect(reply: String) {
        #expect(ClusterRedirect(RedisServerError(reply)) == nil)
    }
}
