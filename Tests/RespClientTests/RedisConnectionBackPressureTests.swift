import RespClient
import Testing

@Suite struct RedisConnectionBackPressureTests {
    /// With `maxCommandsInFlight: 10` and a server that does not answer, ten commands are accepted and the eleventh
    /// is refused at once with `.overloaded`, queueing nothing; the ten are still answered (here by shutdown), and
    /// after shutdown `submit` refuses with `.notConnected`.
    @Test func refusesCommandsBeyondTheInFlightCap() throws {
        let fake = try FakeRedisServer { peer, _ in
            try peer.acceptHello()
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)") {
            $0.maxCommandsInFlight = 10
            $0.commandTimeout = .seconds(60)
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        let connection = harness.connection

        let accepted = ReplyCollector()
        for _ in 0..<8 {
            try connection.submit([TestCommand.ping], to: accepted)
        }
        try connection.submit([TestCommand.ping, TestCommand.ping], to: accepted)
        #expect(connection.commandsInFlight == 10)

        let refused = ReplyCollector()
        #expect(throws: RedisError.overloaded) { try connection.submit([TestCommand.ping], to: refused) }
        #expect(throws: RedisError.overloaded) {
            try connection.submit([TestCommand.ping, TestCommand.ping], to: refused)
        }
        #expect(connection.commandsInFlight == 10)

        connection.shutdown()
        let answers = try #require(accepted.wait(for: 10))
        #expect(answers.allSatisfy { $0.error == .shutdown })
        #expect(refused.count == 0)
        #expect(connection.commandsInFlight == 0)
        #expect(throws: RedisError.notConnected(RedisError.shutdown.description)) {
            try connection.submit([TestCommand.ping], to: refused)
        }
    }
}
