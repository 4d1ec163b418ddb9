import Foundation
import Glibc
import TestSupport
import Testing

/// The v2 write API (InfluxDB 1.6 has none, so a scripted server plays InfluxDB 2) and fault injection on the
/// sink: what the processor sends, and that server errors are retried without acking or dead-lettering.
@Suite(.serialized) struct ProcessorSinkProtocolTests {
    /// v2: `POST /api/v2/write?org=&bucket=&precision=ns` with `Authorization: Token`. The first two writes get a
    /// 503 and the third a 204: the entries are acked only after the 204, nothing is dead-lettered.
    @Test func v2WriteWithTokenAndRetries() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let influx = try FakeHTTPServer([
            { socket, server in
                while true {
                    let request = try server.readRequest(socket)
                    let writes = server.requests.filter { $0.requestLine.hasPrefix("POST") }.count
                    if request.requestLine.hasPrefix("POST") && writes <= 2 {
                        try socket.send("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
                    } else {
                        try socket.send(FakeHTTPServer.noContent)
                    }
                }
            }
        ])
        defer { influx.stop() }
        let writer = EventWriter(redis: try redis.client())
        try writer.addMany(20)
        let processor = try ProcessorProcess(
            redisURL: redis.url, influxURL: "http://127.0.0.1:\(influx.port)",
            arguments: ["--influx-org", "acme corp", "--influx-bucket", "tele", "--influx-token", "s3cret"])
        let client = try redis.client()
        let drained = waitUntil(timeout: .seconds(15)) {
            guard case .array(let summary) = try? client.command("XPENDING", "telemetry:events", "telemetry-processor"),
                case .integer(0) = summary.first
            else { return false }
            return processor.metric("processor_entries_acked_total") == 20
        }
        #expect(drained, "\(processor.log.suffix(2000))")
        let writes = influx.requests.filter { $0.requestLine.hasPrefix("POST") }
        #expect(writes.count == 3)
        #expect(
            writes.allSatisfy {
                $0.requestLine == "POST /api/v2/write?org=acme%20corp&bucket=tele&precision=ns HTTP/1.1"
            })
        #expect(writes.allSatisfy { $0.header("Authorization") == "Token s3cret" })
        #expect(Set(writes.map(\.body)).count == 1, "a retry sends the same bytes")
        #expect(String(decoding: writes[0].body, as: UTF8.self).split(separator: "\n").count == 20)
        #expect(try client.integer("XLEN", "telemetry:events:dead") == 0)
        #expect(processor.metric("processor_sink_failures_total") == 2)
        #expect(!processor.log.contains("s3cret"), "the token never reaches the log")
    }

    /// Bad flag values: one line on stderr, exit status 2.
    @Test func badFlagExitsWithTwo() throws {
        let directory = TestEnvironment.temporaryDirectory("processor-flags")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try ManagedProcess(
            executable: try ProcessorProcess.binaryPath(), arguments: ["--batch", "zero"], logPath: directory + "/log")
        #expect(process.waitForExit(timeout: .seconds(10)) == 2)
        #expect(process.log == "telemetry-processor: --batch: expected an integer 1...100000, got \"zero\"\n")
    }

    /// SIGTERM: the processor finishes what it holds and exits 0.
    @Test func sigtermExitsCleanly() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let influx = try FakeHTTPServer([FakeHTTPServer.answering(FakeHTTPServer.noContent)])
        defer { influx.stop() }
        let processor = try ProcessorProcess(redisURL: redis.url, influxURL: "http://127.0.0.1:\(influx.port)")
        try EventWriter(redis: try redis.client()).addMany(10)
        _ = waitUntil(timeout: .seconds(10)) { processor.metric("processor_entries_acked_total") == 10 }
        processor.process.signal(SIGTERM)
        #expect(processor.process.waitForExit(timeout: .seconds(5)) == 0)
    }

    /// An entry delivered more times than --max-deliveries (it kept failing somewhere) goes to the dead letters with
    /// reason max_deliveries instead of being tried again; the others pending with it are written.
    @Test func tooManyDeliveriesIsDeadLettered() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let influx = try FakeHTTPServer([FakeHTTPServer.answering(FakeHTTPServer.noContent)])
        defer { influx.stop() }
        let client = try redis.client()
        let writer = EventWriter(redis: client)
        let poison = try writer.add(device: "d-0", data: EventWriter.data(device: "d-0", value: "1"))
        try client.command("XGROUP", "CREATE", "telemetry:events", "telemetry-processor", "0", "MKSTREAM")
        // Delivered to "crashy" three times: once by ">", twice more by re-reading its history.
        try client.command("XREADGROUP", "GROUP", "telemetry-processor", "crashy", "STREAMS", "telemetry:events", ">")
        for _ in 0..<2 {
            try client.command(
                "XREADGROUP", "GROUP", "telemetry-processor", "crashy", "STREAMS", "telemetry:events", "0")
        }
        let fine = try writer.add(device: "d-1", data: EventWriter.data(device: "d-1", value: "2"))
        try client.command("XREADGROUP", "GROUP", "telemetry-processor", "crashy", "STREAMS", "telemetry:events", ">")
        // The restarted "crashy" re-reads both: the first is now at 4 deliveries, the second at 2.
        let processor = try ProcessorProcess(
            redisURL: redis.url, influxURL: "http://127.0.0.1:\(influx.port)",
            arguments: ["--consumer", "crashy", "--max-deliveries", "3"])
        let done = waitUntil(timeout: .seconds(10)) { processor.metric("processor_entries_acked_total") == 2 }
        #expect(done, "\(processor.log.suffix(2000))")
        guard case .array(let dead) = try client.command("XRANGE", "telemetry:events:dead", "-", "+") else {
            Issue.record("no dead-letter stream")
            return
        }
        #expect(dead.count == 1)
        if case .array(let parts) = dead.first, case .array(let fields) = parts[1] {
            let text = fields.compactMap(\.string)
            #expect(
                text.starts(with: ["original_id", poison, "reason", "max_deliveries", "detail", "delivered 4 times"]))
        }
        let written = influx.requests.filter { $0.requestLine.hasPrefix("POST") }.map {
            String(decoding: $0.body, as: UTF8.self)
        }
        #expect(written.count == 1 && written[0].contains("device_id=d-1") && !written[0].contains("device_id=d-0"))
        _ = fine
    }

    /// Redis restarted without persistence: the stream and the group are gone. Whatever the processor was doing
    /// (blocking read, claim scan), it creates the group again and processes what arrives next.
    @Test func redisRestartWithoutPersistenceRecreatesTheGroup() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let influx = try FakeHTTPServer([FakeHTTPServer.answering(FakeHTTPServer.noContent)])
        defer { influx.stop() }
        let processor = try ProcessorProcess(
            redisURL: redis.url, influxURL: "http://127.0.0.1:\(influx.port)", arguments: ["--claim-idle", "0.2"])
        try EventWriter(redis: try redis.client()).addMany(10)
        #expect(waitUntil(timeout: .seconds(10)) { processor.metric("processor_entries_acked_total") == 10 })
        try redis.restart()
        usleep(500_000)  // several claim scans and blocking reads meet the empty server
        try EventWriter(redis: try redis.client()).addMany(10, prefix: "after")
        let resumed = waitUntil(timeout: .seconds(15)) { processor.metric("processor_entries_acked_total") == 20 }
        #expect(resumed, "\(processor.log.suffix(2000))")
    }
}
