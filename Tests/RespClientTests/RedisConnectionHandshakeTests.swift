import RespClient
import TestSupport
import Testing

@Suite struct RedisConnectionHandshakeTests {
    /// With `requirepass`, the password from `redis://:pass@…` authenticates the connection during HELLO, and
    /// commands then run.
    @Test func authenticatesWithRequirepass() throws {
        let redis = try RedisServerProcess(["--requirepass", "s3cret"])
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://:s3cret@127.0.0.1:\(redis.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        #expect(harness.connection.status.protocolVersion == 3)

        let replies = ReplyCollector()
        try harness.connection.submit([TestCommand.ping, TestCommand.xadd("auth:stream", [1, 2, 3])], to: replies)
        let received = try #require(replies.wait(for: 2))
        #expect(received[0].value == .simpleString("PONG"))
        #expect(received[1].value?.isStreamID == true)
    }

    /// An ACL user from `redis://alice:secret@…` logs in as that user, not as `default`.
    @Test func authenticatesAsAnACLUser() throws {
        let redis = try RedisServerProcess(["--user", "alice", "on", ">secret", "~*", "&*", "+@all"])
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://alice:secret@127.0.0.1:\(redis.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())

        let replies = ReplyCollector()
        try harness.connection.submit([[.staticString("ACL"), .staticString("WHOAMI")]], to: replies)
        let received = try #require(replies.wait(for: 1))
        #expect(received[0].value?.string == "alice")
    }

    /// A wrong password keeps the link down through repeated attempts: it never reports up, its status names the
    /// authentication failure, and `submit` refuses at once with `.notConnected` instead of queueing.
    @Test func wrongPasswordNeverComesUp() throws {
        let redis = try RedisServerProcess(["--requirepass", "s3cret"])
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://:wrong@127.0.0.1:\(redis.port)") {
            $0.reconnectBaseDelay = .milliseconds(10)
            $0.reconnectMaxDelay = .milliseconds(50)
        }
        defer { harness.stop() }
        let failedAttempts = { harness.statusChanges.filter { $0.state == .down }.count }
        try #require(waitUntil { failedAttempts() >= 3 })

        #expect(harness.statusChanges.allSatisfy { $0.state != .up })
        #expect(!harness.connection.isUp)
        let lastError = try #require(harness.connection.status.lastError)
        #expect(lastError.contains("WRONGPASS"), "\(lastError)")
        let replies = ReplyCollector()
        #expect {
            try harness.connection.submit([TestCommand.ping], to: replies)
        } throws: { error in
            guard case .notConnected(let reason) = error as? RedisError else { return false }
            return reason.contains("WRONGPASS")
        }
        #expect(harness.connection.commandsInFlight == 0)
        #expect(replies.count == 0)
    }

    /// An IPv6 literal connects directly, and a host name is resolved off the loop thread before connecting.
    @Test(arguments: ["[::1]", "localhost"])
    func connectsToIPv6LiteralsAndHostNames(_ host: String) throws {
        let redis = try RedisServerProcess(["--bind", "127.0.0.1", "-::1"])
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://\(host):\(redis.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        let replies = ReplyCollector()
        try harness.connection.submit([TestCommand.ping], to: replies)
        #expect(replies.wait(for: 1)?.first?.value == .simpleString("PONG"))
    }

    /// The database in `redis://…/3` is selected during the handshake, so writes land in db 3 and not in db 0.
    @Test func selectsTheDatabaseFromTheURL() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(redis.port)/3")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())

        let replies = ReplyCollector()
        try harness.connection.submit([TestCommand.xadd("select:stream", [0x41])], to: replies)
        let received = try #require(replies.wait(for: 1))
        #expect(received[0].value?.isStreamID == true)

        let client = try BlockingRedisClient(port: redis.port)
        #expect(try client.integer("XLEN", "select:stream") == 0)
        #expect(try client.command("SELECT", "3") == .simpleString("OK"))
        #expect(try client.integer("XLEN", "select:stream") == 1)
    }
}
