import Glibc
import Reactor
import RespClient
import Synchronization
import TestSupport
import Testing

/// Counts what became of each command a producer submitted.
private final class OutcomeTally: RedisReplyHandler {
    let succeeded = Atomic<Int>(0)
    let connectionLost = Atomic<Int>(0)
    let timedOut = Atomic<Int>(0)
    let notConnected = Atomic<Int>(0)
    let other = LockedLog<String>()

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        switch result {
        case .success(let value) where value.isStreamID: succeeded.add(1, ordering: .relaxed)
        case .failure(.connectionLost): connectionLost.add(1, ordering: .relaxed)
        case .failure(.timeout): timedOut.add(1, ordering: .relaxed)
        case .failure(.notConnected): notConnected.add(1, ordering: .relaxed)
        default: other.append("\(result)")
        }
    }

    var answered: Int {
        succeeded.load(ordering: .relaxed) + connectionLost.load(ordering: .relaxed)
            + timedOut.load(ordering: .relaxed) + notConnected.load(ordering: .relaxed) + other.entries.count
    }
}

@Suite struct RedisConnectionOutageTests {
    /// Redis killed with SIGKILL while a producer pipelines XADDs: every accepted command is answered, success or
    /// failure, within the command timeout; `submit` refuses at once while Redis is down; and once Redis is back the
    /// connection re-establishes itself and commands succeed again.
    @Test func survivesRedisBeingKilledMidPipeline() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let commandTimeout = Duration.seconds(1)
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(redis.port)") {
            $0.commandTimeout = commandTimeout
            $0.reconnectMaxDelay = .milliseconds(200)
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        let connection = harness.connection

        let tally = OutcomeTally()
        let accepted = Atomic<Int>(0)
        let refusedWhileDown = Atomic<Int>(0)
        let otherRefusals = LockedLog<String>()
        let stopProducing = Atomic<Bool>(false)
        let producer = OSThread(name: "producer") {
            let batchSize = 256
            let batch = TestCommand.encode(
                Array(repeating: TestCommand.xadd("outage:stream", TestCommand.telemetryPayload), count: batchSize))
            while !stopProducing.load(ordering: .relaxed) {
                do throws(RedisError) {
                    try connection.submit(batch, commandCount: batchSize, to: tally)
                    accepted.add(batchSize, ordering: .relaxed)
                } catch .notConnected {
                    refusedWhileDown.add(1, ordering: .relaxed)
                    usleep(100)
                } catch .overloaded {
                    usleep(100)
                } catch {
                    otherRefusals.append("\(error)")
                }
            }
        }
        defer {
            stopProducing.store(true, ordering: .relaxed)
            producer.join()
        }
        try #require(waitUntil { tally.succeeded.load(ordering: .relaxed) >= 20_000 })

        redis.kill()
        let killed = ContinuousClock.now
        let refusedAtOnce = waitUntil { refusedWhileDown.load(ordering: .relaxed) > 0 }
        stopProducing.store(true, ordering: .relaxed)
        #expect(refusedAtOnce, "submit kept accepting commands after Redis died")

        let submitted = { accepted.load(ordering: .relaxed) }
        let allAnswered = waitUntil(timeout: commandTimeout + .seconds(5)) { tally.answered == submitted() }
        #expect(allAnswered, "\(tally.answered) of \(submitted()) commands answered")
        #expect(ContinuousClock.now - killed < commandTimeout + .seconds(5))
        #expect(tally.other.entries.isEmpty)
        #expect(otherRefusals.entries.isEmpty)
        #expect(connection.commandsInFlight == 0)
        #expect(
            tally.connectionLost.load(ordering: .relaxed) + tally.timedOut.load(ordering: .relaxed)
                + tally.notConnected.load(ordering: .relaxed) > 0)
        #expect(!connection.isUp)

        try redis.restart()
        try #require(harness.waitUntilUp())
        #expect(connection.status.reconnects >= 1)
        let replies = ReplyCollector()
        try connection.submit([TestCommand.xadd("outage:stream", [1])], to: replies)
        #expect(replies.wait(for: 1)?.first?.value?.isStreamID == true)
    }

    /// `CLIENT PAUSE … WRITE` stalls Redis: the pending XADDs fail with `.timeout` about one command timeout later
    /// (not never, not after the pause), and once the pause is over the link works again.
    @Test func stalledRedisTimesCommandsOut() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(redis.port)") {
            $0.commandTimeout = .milliseconds(500)
            $0.reconnectMaxDelay = .milliseconds(200)
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        let connection = harness.connection

        let pauser = try BlockingRedisClient(port: redis.port)
        #expect(try pauser.command("CLIENT", "PAUSE", "3000", "WRITE") == .simpleString("OK"))
        let replies = ReplyCollector()
        let submitted = ContinuousClock.now
        try connection.submit(Array(repeating: TestCommand.xadd("stall:stream", [1]), count: 10), to: replies)
        let received = try #require(replies.wait(for: 10))
        let elapsed = ContinuousClock.now - submitted
        #expect(received.allSatisfy { $0.error == .timeout }, "\(received.map(\.result))")
        #expect(elapsed < .milliseconds(2_500), "timed out after \(elapsed)")
        #expect(connection.commandsInFlight == 0)

        // The pause lasts 3 s; retry until it is over, which must happen well within the wait.
        let recovered = waitUntil(timeout: .seconds(10)) {
            guard connection.isUp else { return false }
            let probe = ReplyCollector()
            guard (try? connection.submit([TestCommand.xadd("stall:stream", [2])], to: probe)) != nil else {
                return false
            }
            return probe.wait(for: 1)?.first?.value?.isStreamID == true
        }
        #expect(recovered)
        #expect(connection.status.reconnects >= 1)
    }
}
