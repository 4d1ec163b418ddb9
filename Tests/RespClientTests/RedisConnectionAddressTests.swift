import Reactor
import Synchronization
import TestSupport
import Testing

@testable import RespClient

/// Every address a name resolves to is tried in turn, over real sockets and a real Redis bound to 127.0.0.1 only.
@Suite struct RedisConnectionAddressTests {
    /// The resolver answers `::1` (Redis is not bound there: refused, or no IPv6 at all), then a closed port on
    /// 127.0.0.1, then Redis: the first two fail, the third comes up within one attempt, with no back-off between.
    @Test func triesEveryResolvedAddressInTurn() throws {
        let redis = try RedisServerProcess(["--bind", "127.0.0.1"])
        defer { redis.stop() }
        let closedPort = try TestEnvironment.freePort()
        let addresses = [
            SocketAddress(numericHost: "::1", port: redis.port)!,
            SocketAddress(numericHost: "127.0.0.1", port: closedPort)!,
            SocketAddress(numericHost: "127.0.0.1", port: redis.port)!,
        ]
        let asked = Mutex<[String]>([])
        var configuration = RedisConfiguration(url: RedisURL(host: "redis.test", port: redis.port))
        // A back-off longer than the wait below: coming up in time proves no attempt failed as a whole.
        configuration.reconnectBaseDelay = .seconds(30)
        let harness = try ConnectionHarness(configuration) { connection in
            connection.resolver = { host, port, deliver in
                asked.withLock { $0.append("\(host):\(port)") }
                deliver(.success(addresses))
            }
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp(timeout: .seconds(5)))
        #expect(asked.withLock { $0 } == ["redis.test:\(redis.port)"])
        #expect(harness.statusChanges.map(\.state) == [.up])

        let replies = ReplyCollector()
        try harness.connection.submit([TestCommand.ping], to: replies)
        #expect(replies.wait(for: 1)?.first?.value == .simpleString("PONG"))
    }

    /// When every address refuses, the attempt fails once, naming the last address, and the link backs off.
    @Test func backsOffAfterEveryAddressRefused() throws {
        let closedPorts = [try TestEnvironment.freePort(), try TestEnvironment.freePort()]
        let addresses = closedPorts.map { SocketAddress(numericHost: "127.0.0.1", port: $0)! }
        var configuration = RedisConfiguration(url: RedisURL(host: "redis.test", port: closedPorts[0]))
        configuration.reconnectBaseDelay = .seconds(30)
        let harness = try ConnectionHarness(configuration) { connection in
            connection.resolver = { _, _, deliver in deliver(.success(addresses)) }
        }
        defer { harness.stop() }
        try #require(waitUntil(timeout: .seconds(5)) { !harness.statusChanges.isEmpty })
        let changes = harness.statusChanges
        #expect(changes.map(\.state) == [.down])
        let lastError = try #require(changes.first?.lastError)
        #expect(lastError.contains("127.0.0.1:\(closedPorts[1])"), "\(lastError)")
    }

    /// A name that does not resolve fails the attempt with the resolver's error (or, with no reachable name server,
    /// the connect timeout), and the loop is never blocked by the lookup.
    @Test func unresolvableNameFailsTheAttempt() throws {
        var configuration = RedisConfiguration(url: RedisURL(host: "no-such-host.invalid", port: 6379))
        configuration.reconnectBaseDelay = .seconds(30)
        let harness = try ConnectionHarness(configuration)
        defer { harness.stop() }
        try #require(waitUntil(timeout: .seconds(10)) { !harness.statusChanges.isEmpty })
        let lastError = try #require(harness.statusChanges.first?.lastError)
        #expect(lastError.contains("no-such-host.invalid"), "\(lastError)")
    }
}
