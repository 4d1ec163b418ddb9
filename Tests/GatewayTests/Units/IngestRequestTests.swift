import RespClient
import Testing

@testable import Gateway
@testable import Reactor

/// `IngestRequest`, the loop-thread shell around `IngestReplies`: what happens when the last reply is in. No socket:
/// the connection behind the responder is never registered, and the loop never runs, so the response only counts.
@Suite struct IngestRequestTests {
    private final class Unused: HTTPHandler {
        func handle(_ request: HTTPRequest, responder: HTTPResponder) {}
    }

    private struct Fixture {
        let loop: EventLoop
        let context: IngestContext
        let responder: GatewayResponder

        init() throws {
            loop = try EventLoop()
            context = IngestContext(
                loop: loop,
                redis: RedisRouter(
                    loop: loop, configuration: RedisConfiguration(url: RedisURL(), commandTimeout: .seconds(1))),
                admission: Admission(capacity: 10, highPriorityShare: 0.1), metrics: GatewayMetrics(),
                stalls: StallMonitor(logger: Logger(level: .error)),
                target: StreamTarget(stream: "telemetry:events", maxLength: nil), streamShards: nil,
                limits: TelemetryLimits(maxBatch: 10, maxDecodedBodyBytes: 4096), spool: nil)
            let server = HTTPServer(loop: loop, configuration: .init(), handler: Unused())
            let connection = HTTPConnection(fd: -1, server: server)
            responder = GatewayResponder(
                responder: HTTPResponder(connection: connection, sequence: 0), route: .telemetry,
                metrics: context.metrics, receivedAt: loop.now)
        }

        /// A request of `events` admitted events with its sample candidate offered, as the consumer makes it.
        func request(events: Int, isBatch: Bool) -> IngestRequest {
            #expect(context.admission.admit(events: events, highPriority: false))
            let request = IngestRequest(
                context: context, responder: responder, eventCount: events, admittedEvents: events, isBatch: isBatch)
            request.holdsSampleCandidate = context.offerSample(Array(#"{"v":1}"#.utf8), from: request)
            return request
        }

        func responses(_ code: String) -> Int {
            context.metrics.responseCounts.first { $0.route == "telemetry" && $0.code == code }?.count ?? 0
        }
    }

    /// Stored: the admission is released only with the last reply, the sample becomes /status's latest, the events
    /// count as stored, and a 200 is sent.
    @Test func storedBatchReleasesAndCounts() throws {
        let fixture = try Fixture()
        let request = fixture.request(events: 2, isBatch: true)
        #expect(request.commandCount == 4)
        request.redisReplied(.success(.simpleString("OK")), tag: 0)
        request.redisReplied(.success(.simpleString("QUEUED")), tag: 1)
        request.redisReplied(.success(.simpleString("QUEUED")), tag: 2)
        #expect(fixture.context.admission.pendingEvents == 2)
        #expect(fixture.context.latestSample == nil)
        request.redisReplied(.success(.array([.bulkString([0x31]), .bulkString([0x32])])), tag: 3)
        #expect(fixture.context.admission.pendingEvents == 0)
        #expect(fixture.context.latestSample == Array(#"{"v":1}"#.utf8))
        #expect(fixture.context.metrics.eventsStored.value == 2)
        #expect(fixture.responses("200") == 1)
    }

    /// Not stored: the admission is released, the candidate is dropped (and the next request may offer one), the
    /// events count as rejected, and a 503 is sent.
    @Test func failedRequestReleasesAndRejects() throws {
        let fixture = try Fixture()
        let request = fixture.request(events: 1, isBatch: false)
        request.redisReplied(.failure(.connectionLost("reset")), tag: 0)
        #expect(fixture.context.admission.pendingEvents == 0)
        #expect(fixture.context.latestSample == nil)
        #expect(fixture.context.metrics.eventsStored.value == 0)
        #expect(fixture.context.metrics.rejected[RejectReason.redisUnavailable.rawValue].value == 1)
        #expect(fixture.responses("503") == 1)
        #expect(fixture.request(events: 1, isBatch: false).holdsSampleCandidate)
    }
    /// A batch split over shards: 200 only once every part is stored; one failed part makes it a 503 for the whole
    /// batch, answered only when the last part is in (the stored parts stay stored: at-least-once).
    @Test func partsAnswerOnceAllAreIn() throws {
        let fixture = try Fixture()
        let stored = fixture.request(events: 3, isBatch: true)
        stored.expectParts(2)
        let first = IngestPart(request: stored, eventCount: 2, isBatch: true)
        let second = IngestPart(request: stored, eventCount: 1, isBatch: true)
        for (tag, reply) in [RESPValue.simpleString("OK"), .simpleString("QUEUED")].enumerated() {
            second.redisReplied(.success(reply), tag: tag)
        }
        second.redisReplied(.success(.array([.bulkString([0x31])])), tag: 2)
        #expect(fixture.responses("200") == 0 && fixture.context.admission.pendingEvents == 3)
        first.redisReplied(.success(.simpleString("OK")), tag: 0)
        first.redisReplied(.success(.simpleString("QUEUED")), tag: 1)
        first.redisReplied(.success(.simpleString("QUEUED")), tag: 2)
        first.redisReplied(.success(.array([.bulkString([0x32]), .bulkString([0x33])])), tag: 3)
        #expect(fixture.responses("200") == 1 && fixture.context.metrics.eventsStored.value == 3)
        #expect(fixture.context.admission.pendingEvents == 0)

        let failed = fixture.request(events: 2, isBatch: true)
        failed.expectParts(2)
        failed.partFinished(.unavailable("redis unavailable"))
        #expect(fixture.responses("503") == 0)
        failed.partFinished(.accepted(1))
        #expect(fixture.responses("503") == 1)
        #expect(fixture.context.metrics.rejected[RejectReason.redisUnavailable.rawValue].value == 2)
    }

    /// A batch is split by shard in the order each shard first appears, each shard's events in the order sent.
    @Test func splitKeepsEachShardsEventsInOrder() {
        let shards = StreamShards(stream: "s", count: 4)
        let devices = ["a", "b", "c", "d", "e", "a", "f", "b", "a"]
        let batch = TelemetryBatch(
            events: devices.map { TelemetryEvent(deviceID: Array($0.utf8), priority: .medium, data: []) }, isArray: true
        )
        let parts = Consumer.split(batch, over: shards)
        #expect(parts.map(\.events).flatMap { $0 }.sorted() == Array(devices.indices))
        #expect(Set(parts.map(\.shard)).count == parts.count)
        for part in parts {
            #expect(part.events == part.events.sorted())
            #expect(part.events.allSatisfy { shards.shard(of: devices[$0].utf8) == part.shard })
        }
        #expect(
            Consumer.split(batch, over: StreamShards(stream: "s", count: 1)).map(\.events) == [Array(devices.indices)])
    }
}
