import Foundation
import Glibc
import TestSupport
import Testing

/// The real executable against a real Redis and a real influxd: everything stored ends up in InfluxDB once.
///
/// Heavy for a 2-core machine: `scripts/test` runs this suite on its own, after the rest of `swift test`.
@Suite(.serialized) struct ProcessorPipelineTests {
    /// 10,000 in CI; `PROCESSOR_E2E_EVENTS=100000 swift test --filter ProcessorPipelineTests` for the figure.
    static let eventCount = ProcessInfo.processInfo.environment["PROCESSOR_E2E_EVENTS"].flatMap { Int($0) } ?? 10_000

    /// Every entry in the stream becomes exactly one point, and the group has nothing pending afterwards.
    @Test func everyStoredEventIsWrittenOnce() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        try fixture.writer().addMany(Self.eventCount)
        let processor = try fixture.processor()
        let count = fixture.waitForDrain(expected: Self.eventCount)
        #expect(count == (try fixture.length()), "\(processor.log.suffix(2000))")
        #expect(try fixture.pending() == 0)
        #expect(try fixture.deadLetters().isEmpty)
        #expect(processor.metric("processor_entries_acked_total") == Double(Self.eventCount))
    }

    /// The whole pipeline: events POSTed to the real gateway (arrays of 500) while the processor runs; every event
    /// the gateway acknowledged is one point in InfluxDB, and the group has nothing pending.
    @Test func eventsPostedThroughTheGateway() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        let gateway = try GatewayLauncher(redisURL: fixture.redis.url)
        let processor = try fixture.processor()
        let client = try RawHTTPClient(port: gateway.port, timeout: .seconds(30))
        var accepted = 0
        for start in stride(from: 0, to: Self.eventCount, by: 500) {
            let events = (start..<min(start + 500, Self.eventCount)).map { index in
                "{\"device_id\":\"dev-\(index % 100)\",\"value\":\(index),\"type\":\"temperature\",\"unit\":\"C\","
                    + "\"metadata\":{\"site\":\"zone \(index % 3)\",\"seq\":\(index)}}"
            }
            let response = try client.postJSON("/telemetry", "[" + events.joined(separator: ",") + "]")
            #expect(response.status == 200, "\(response.bodyText)")
            if response.status == 200 { accepted += events.count }
        }
        let length = try fixture.length()
        #expect(length == accepted)
        let count = fixture.waitForDrain(expected: length)
        #expect(count == length, "\(processor.log.suffix(2000))\n\(gateway.process.log.suffix(500))")
        #expect(try fixture.pending() == 0)
        #expect(try fixture.deadLetters().isEmpty)
    }

    /// SIGKILL in the middle of the backlog, then a restart under the same consumer name: the new process re-reads
    /// its pending entries first; the same points are written again over themselves, none is doubled or lost.
    @Test func killNineMidBatchThenRestart() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        let total = 10_000
        try fixture.writer().addMany(total)
        let first = try fixture.processor(["--consumer", "worker-1", "--batch", "1000"])
        _ = waitUntil(timeout: .seconds(30)) { ((try? fixture.influx.count()) ?? 0) > 1_000 }
        first.kill()
        let pendingAtKill = try fixture.pending()
        let second = try fixture.processor(["--consumer", "worker-1", "--batch", "1000"])
        let count = fixture.waitForDrain(expected: total)
        #expect(count == total, "pending at kill \(pendingAtKill)\n\(second.log.suffix(2000))")
        #expect(try fixture.pending() == 0)
        #expect(try fixture.deadLetters().isEmpty)
    }

    /// InfluxDB down for 10 s while events keep arriving: nothing is dead-lettered, nothing acked early, and the
    /// backlog drains once it is back.
    @Test func sinkOutageLosesNothing() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        let writer = try fixture.writer()
        let processor = try fixture.processor(["--batch", "500"])
        try writer.addMany(1_000, prefix: "before")
        fixture.waitForDrain(expected: 1_000)
        fixture.influx.stop()
        let outageStart = ContinuousClock.now
        while ContinuousClock.now - outageStart < .seconds(10) {
            try writer.addMany(100, prefix: "during")
            usleep(100_000)
        }
        #expect(try fixture.pending() > 0, "the unwritten batch stays pending, not acked")
        #expect(processor.metric("processor_sink_up") == 0)
        try fixture.influx.start()
        let expected = try fixture.length()
        let count = fixture.waitForDrain(expected: expected)
        #expect(count == expected, "\(processor.log.suffix(2000))")
        #expect(try fixture.deadLetters().isEmpty)
        #expect(processor.metric("processor_sink_up") == 1)
    }

    /// Redis killed and restarted (from its AOF): the processor reconnects and processes what comes next.
    @Test func redisRestartReconnects() throws {
        let fixture = try PipelineFixture(redisArguments: ["--appendonly", "yes", "--appendfsync", "always"])
        defer { fixture.stop() }
        let processor = try fixture.processor()
        try fixture.writer().addMany(500, prefix: "before")
        fixture.waitForDrain(expected: 500)
        try fixture.redis.restart()
        #expect(waitUntil(timeout: .seconds(10)) { (try? fixture.length()) != nil }, "Redis loaded its AOF")
        try fixture.writer().addMany(500, prefix: "after")
        let count = fixture.waitForDrain(expected: 1_000)
        #expect(count == 1_000, "\(processor.log.suffix(2000))")
        #expect((processor.metric("processor_redis_reconnects_total") ?? 0) >= 1)
    }

    /// Entries that are not JSON, whose value is not a number, or that InfluxDB refuses (a field-type conflict) go to
    /// `<stream>:dead` with their reason and raw fields; the good ones around them are written.
    @Test func poisonEntriesAreDeadLettered() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        let writer = try fixture.writer()
        try writer.add(
            device: "good-0", data: EventWriter.data(device: "good-0", value: "1", extra: ",\"metadata\":{\"site\":1}"))
        let notJSON = try writer.add(device: "bad-1", data: "not json")
        try writer.addMany(100, prefix: "good")
        let notNumber = try writer.add(device: "bad-2", data: EventWriter.data(device: "bad-2", value: "\"warm\""))
        // `site` was a float field; a string now is a field-type conflict InfluxDB refuses with a 400.
        let conflict = try writer.add(
            device: "bad-3",
            data: EventWriter.data(device: "bad-3", value: "3", extra: ",\"metadata\":{\"site\":\"x\"}"))
        try writer.addMany(100, prefix: "more")
        let processor = try fixture.processor()
        fixture.waitForDrain(expected: 201)
        #expect(try fixture.influx.count() == 201, "\(processor.log.suffix(3000))")
        let dead = try fixture.deadLetters()
        let reasons = Dictionary(
            dead.map { ($0["original_id"] ?? "", $0["reason"] ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(reasons == [notJSON: "undecodable", notNumber: "undecodable", conflict: "rejected"])
        #expect(dead.first { $0["original_id"] == notJSON }?["data"] == "not json")
        #expect(dead.first { $0["original_id"] == conflict }?["detail"]?.contains("field type conflict") == true)
        #expect(try fixture.pending() == 0)
    }

    /// Two processors in one group share the stream: every entry is written and acked once. When one is killed
    /// with entries pending, the other claims them after --claim-idle.
    @Test func twoProcessorsShareAGroupAndClaim() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        let arguments = ["--claim-idle", "1", "--batch", "200"]
        let first = try fixture.processor(arguments + ["--consumer", "a"])
        let second = try fixture.processor(arguments + ["--consumer", "b"])
        try fixture.writer().addMany(5_000)
        fixture.waitForDrain(expected: 5_000)
        let ackedA = first.metric("processor_entries_acked_total") ?? 0
        let ackedB = second.metric("processor_entries_acked_total") ?? 0
        #expect(ackedA + ackedB == 5_000)
        #expect(ackedA > 0 && ackedB > 0, "a \(ackedA), b \(ackedB)")

        // Entries left pending by a dead consumer: delivered to "ghost", never acked.
        let redis = try fixture.redis.client()
        first.kill()
        second.kill()
        try fixture.writer().addMany(50, prefix: "ghost")
        try redis.command(
            "XREADGROUP", "GROUP", fixture.group, "ghost", "COUNT", "1000", "STREAMS", fixture.stream, ">")
        #expect(try fixture.pending() == 50)
        let survivor = try fixture.processor(arguments + ["--consumer", "c"])
        let count = fixture.waitForDrain(expected: 5_050, timeout: .seconds(30))
        #expect(count == 5_050, "\(survivor.log.suffix(2000))")
        #expect((survivor.metric("processor_entries_claimed_total") ?? 0) == 50)
    }

    /// `--trim-processed`: once written and acked, the entries leave the stream (XTRIM MINID ~), and the points
    /// stay in InfluxDB.
    @Test func trimProcessedKeepsOnlyTheBacklog() throws {
        let fixture = try PipelineFixture()
        defer { fixture.stop() }
        try fixture.writer().addMany(3_000)
        let processor = try fixture.processor(["--trim-processed"])
        fixture.waitForDrain(expected: 3_000)
        // Approximate trimming removes whole stream nodes (100 entries each by default): what is left is at most
        // the node holding the last delivered entry.
        let trimmed = waitUntil(timeout: .seconds(10)) { ((try? fixture.length()) ?? .max) <= 100 }
        #expect(trimmed, "XLEN \((try? fixture.length()) ?? -1)\n\(processor.log.suffix(1500))")
        #expect(try fixture.influx.count() == 3_000)
    }
}
