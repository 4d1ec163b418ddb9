import RespClient
import TestSupport
import Testing

@Suite struct RedisConnectionServerErrorTests {
    /// An error reply (XADD on a key holding a string) fails only its own command, as `.server` with the code
    /// `WRONGTYPE`; the commands around it succeed and the connection stays up.
    @Test func wrongTypeFailsOnlyItsCommand() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        try BlockingRedisClient(port: redis.port).command("SET", "plain:string", "value")
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(redis.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())

        let replies = ReplyCollector()
        try harness.connection.submit(
            [
                TestCommand.xadd("errors:stream", [1]), TestCommand.xadd("plain:string", [2]),
                TestCommand.xadd("errors:stream", [3]),
            ], to: replies)
        let received = try #require(replies.wait(for: 3))
        #expect(received.map(\.tag) == [0, 1, 2])
        #expect(received[0].value?.isStreamID == true)
        guard case .server(let error) = received[1].error else {
            Issue.record("expected a server error, got \(received[1].result)")
            return
        }
        #expect(error.code == "WRONGTYPE")
        #expect(error.message.contains("wrong kind of value"))
        #expect(received[2].value?.isStreamID == true)

        let later = ReplyCollector()
        try harness.connection.submit([TestCommand.ping], to: later)
        #expect(later.wait(for: 1)?.first?.value == .simpleString("PONG"))
        #expect(harness.connection.isUp)
        #expect(harness.connection.status.reconnects == 0)
        #expect(try BlockingRedisClient(port: redis.port).integer("XLEN", "errors:stream") == 2)
    }
}
