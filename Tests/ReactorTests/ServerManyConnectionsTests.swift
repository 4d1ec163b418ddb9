import Glibc
import TestSupport
import Testing

@testable import Reactor

/// Thousands of concurrent keep-alive connections on one loop thread.
@Suite struct ServerManyConnectionsTests {
    static let connections = 5_000
    /// Both ends of every connection live in this process, plus a margin for everything else.
    static let descriptorsNeeded: rlim_t = 10_500

    /// 5,000 connections open at once each get a response to one request, then to a second one on the same
    /// connection; every request is answered, on the connection that asked.
    @Test(.timeLimit(.minutes(1)))
    func fiveThousandKeepAliveConnections() throws {
        try Self.raiseDescriptorLimit()
        let server = try TestServer(handler: ScriptedHandler.echoing())
        defer { server.stop() }
        var clients: [RawHTTPClient] = []
        clients.reserveCapacity(Self.connections)
        for _ in 0..<Self.connections {
            clients.append(try RawHTTPClient(port: server.port))
        }
        #expect(try server.waitUntil { $0.openConnections == Self.connections })

        for round in 0..<2 {
            for (index, client) in clients.enumerated() {
                try client.send(RequestText.get("/c/\(index)", id: round * Self.connections + index))
            }
            var misanswered: [Int] = []
            for (index, client) in clients.enumerated() {
                let response = try client.readResponse()
                if response.status != 200 || response.header("X-Request-Id") != "\(round * Self.connections + index)" {
                    misanswered.append(index)
                }
            }
            #expect(misanswered.isEmpty, "round \(round): \(misanswered.count) connections misanswered")
        }
        let stats = try server.stats
        #expect(stats.accepted == Self.connections)
        #expect(stats.requests == 2 * Self.connections)
        #expect(stats.open == Self.connections)
        #expect(stats.refusedOverCapacity == 0)
    }

    /// Raises the soft descriptor limit to the hard one; fails, saying why, when even that is too low.
    static func raiseDescriptorLimit() throws {
        var limit = rlimit()
        try #require(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        try #require(
            limit.rlim_max >= descriptorsNeeded,
            """
            \(connections) loopback connections need \(descriptorsNeeded) descriptors, but the hard RLIMIT_NOFILE \
            is \(limit.rlim_max); raise it (ulimit -Hn, or nofile in limits.conf / the container) to run this test
            """)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            try #require(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        }
    }
}
