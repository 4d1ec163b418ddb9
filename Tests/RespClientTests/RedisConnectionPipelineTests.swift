import Reactor
import RespClient
import Synchronization
import TestSupport
import Testing

/// Counts, across every submission, what the replies were.
private final class PipelineTally: Sendable {
    let commandsAnswered = Atomic<Int>(0)
    let streamIDs = Atomic<Int>(0)
    let problems = LockedLog<String>()
}

/// Checks one submission's replies: they arrive with tags 0, 1, 2, … in order, and each is what its command must
/// answer (a stream ID for XADD; OK, QUEUED… and an array of IDs for a MULTI/EXEC block).
private final class SubmissionCheck: RedisReplyHandler, @unchecked Sendable {
    enum Expected {
        case streamID, ok, queued
        case streamIDs(count: Int)
    }

    private let expected: [Expected]
    private let tally: PipelineTally
    /// Only touched on the loop thread, which delivers every reply.
    private var nextTag = 0

    init(_ expected: [Expected], tally: PipelineTally) {
        self.expected = expected
        self.tally = tally
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        defer { tally.commandsAnswered.add(1, ordering: .relaxed) }
        if tag != nextTag { tally.problems.append("tag \(tag) arrived when \(nextTag) was due") }
        nextTag = tag + 1
        guard case .success(let value) = result, expected.indices.contains(tag) else {
            tally.problems.append("tag \(tag): \(result)")
            return
        }
        switch (expected[tag], value) {
        case (.streamID, let id) where id.isStreamID:
            tally.streamIDs.add(1, ordering: .relaxed)
        case (.ok, .simpleString("OK")), (.queued, .simpleString("QUEUED")):
            break
        case (.streamIDs(let count), .array(let ids)) where ids.count == count && ids.allSatisfy(\.isStreamID):
            tally.streamIDs.add(count, ordering: .relaxed)
        default:
            tally.problems.append("tag \(tag): expected \(expected[tag]), got \(value)")
        }
    }
}

@Suite struct RedisConnectionPipelineTests {
    static let producers = 8
    static let eventsPerProducer = 12_500
    /// Commands per submission, cycled: single commands and pipelined batches of several sizes.
    static let batchSizes = [1, 16, 1, 3, 64, 1, 200, 7]
    static let eventsInTransaction = 20

    /// 100,000 XADDs submitted from 8 threads at once, as single commands, pipelined batches and MULTI/EXEC
    /// blocks, are each acknowledged with a stream ID, in order within their submission, and all reach the stream.
    @Test func everyPipelinedXADDFromManyThreadsIsAcknowledgedAndStored() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(redis.port)") {
            $0.maxCommandsInFlight = 1 << 20
            $0.commandTimeout = .seconds(30)
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        let connection = harness.connection
        let tally = PipelineTally()
        let commandsSubmitted = Atomic<Int>(0)
        let refused = LockedLog<String>()

        let threads = (0..<Self.producers).map { producer in
            OSThread(name: "producer-\(producer)") {
                let key = "telemetry:pipeline"
                let xadd = TestCommand.xadd(key, TestCommand.telemetryPayload)
                var remaining = Self.eventsPerProducer
                var round = 0
                while remaining > 0 {
                    var commands: [[RESPArgument]]
                    var expected: [SubmissionCheck.Expected]
                    if round == 5 {
                        // A transaction in the middle of the stream of plain submissions.
                        let count = Self.eventsInTransaction
                        commands =
                            [[.staticString("MULTI")]] + Array(repeating: xadd, count: count)
                            + [[.staticString("EXEC")]]
                        expected = [.ok] + Array(repeating: .queued, count: count) + [.streamIDs(count: count)]
                        remaining -= count
                    } else {
                        let count = min(Self.batchSizes[round % Self.batchSizes.count], remaining)
                        commands = Array(repeating: xadd, count: count)
                        expected = Array(repeating: .streamID, count: count)
                        remaining -= count
                    }
                    round += 1
                    do {
                        try connection.submit(commands, to: SubmissionCheck(expected, tally: tally))
                        commandsSubmitted.add(commands.count, ordering: .relaxed)
                    } catch {
                        refused.append("\(error)")
                        return
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(refused.entries.isEmpty)
        let submitted = commandsSubmitted.load(ordering: .relaxed)
        let allAnswered = waitUntil(timeout: .seconds(60)) {
            tally.commandsAnswered.load(ordering: .relaxed) == submitted
        }
        #expect(allAnswered, "\(tally.commandsAnswered.load(ordering: .relaxed)) of \(submitted) answered")
        #expect(tally.problems.entries.prefix(5) == [])
        #expect(tally.streamIDs.load(ordering: .relaxed) == Self.producers * Self.eventsPerProducer)
        #expect(connection.commandsInFlight == 0)
        let stored = try BlockingRedisClient(port: redis.port).integer("XLEN", "telemetry:pipeline")
        #expect(stored == Int64(Self.producers * Self.eventsPerProducer))
    }
}
