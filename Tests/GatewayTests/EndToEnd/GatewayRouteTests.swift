import Foundation
import TestSupport
import Testing

/// Every route and status of the HTTP contract, against the real executable and a real Redis.
@Suite struct GatewayRouteTests {
    /// Health, readiness, status and both metrics formats answer with the documented shapes.
    @Test func operationalEndpoints() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()

        let health = try client.request("GET", "/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "healthy")
        #expect(health.json["redis"] as? String == "up")
        #expect(health.header("content-type") == "application/json")

        #expect(try client.request("GET", "/ready").status == 200)

        let head = try client.request("HEAD", "/health")
        #expect(head.status == 200 && head.body.isEmpty && (Int(head.header("content-length") ?? "0") ?? 0) > 0)

        var status = try client.request("GET", "/status").json
        #expect(status["state"] as? String == "running")
        #expect(status["version"] as? String != nil)
        #expect(status["uptime_seconds"] as? Double != nil)
        #expect(status["latest_sample"] is NSNull)
        #expect(status["metrics"] as? [String: Any] != nil)

        #expect(try client.postJSON("/telemetry", Payload.event("latest-device")).status == 200)
        status = try client.request("GET", "/status").json
        #expect((status["latest_sample"] as? [String: Any])?["device_id"] as? String == "latest-device")

        _ = try client.request("GET", "/metrics")
        // Scrapes are counted too (each one shows in the next).
        let text = try client.request("GET", "/metrics").bodyText
        for name in [
            "gateway_http_requests_total{route=\"telemetry\",code=\"200\"} 1", "gateway_events_stored_total 1",
            "gateway_events_rejected_total{reason=\"invalid\"}", "gateway_queue_depth", "gateway_redis_up 1",
            "gateway_redis_inflight", "gateway_redis_batch_size_bucket", "gateway_request_duration_seconds_bucket",
            "gateway_connections_open", "gateway_uptime_seconds", "# TYPE gateway_request_duration_seconds histogram",
            "gateway_http_requests_total{route=\"metrics\",code=\"200\"}",
        ] {
            #expect(text.contains(name), "missing \(name)")
        }

        let json = try client.request("GET", "/metrics", headers: ["Accept: application/json"]).json
        for key in [
            "samples_processed", "samples_dropped", "queue_depth", "latency_p50_ms", "latency_p95_ms",
            "latency_p99_ms", "latency_max_ms", "uptime_seconds", "thread_pool",
        ] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let pool = json["thread_pool"] as? [String: Any] ?? [:]
        for key in ["jobs_processed", "jobs_queued", "avg_processing_ms", "num_threads"] {
            #expect(pool[key] != nil, "missing thread_pool.\(key)")
        }
        #expect(json["samples_processed"] as? Int == 1)
    }

    /// Unknown paths get 404, wrong methods 405 with Allow; both with JSON bodies.
    @Test func routingErrors() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        let missing = try client.request("GET", "/nope")
        #expect(missing.status == 404)
        #expect(missing.json["ok"] as? Bool == false)
        let wrong = try client.request("GET", "/telemetry")
        #expect(wrong.status == 405)
        #expect(wrong.header("allow") == "POST")
        let wrongRead = try client.request("DELETE", "/health")
        #expect(wrongRead.status == 405)
        #expect(wrongRead.header("allow") == "GET, HEAD")
        #expect((wrongRead.json["error"] as? String)?.isEmpty == false)
    }

    /// Wrong media type, oversized and malformed bodies are refused with a precise 4xx and nothing is stored.
    @Test func badRequestsStoreNothing() throws {
        let fixture = try GatewayFixture(gatewayArguments: ["--max-body", "1000"])
        let client = try fixture.client()
        #expect(
            try client.request("POST", "/telemetry", headers: ["Content-Type: text/plain"], body: Payload.event())
                .status == 415)
        #expect(try client.request("POST", "/telemetry", body: Payload.event()).status == 415)
        #expect(try client.postJSON("/telemetry", "").status == 400)
        #expect(try client.postJSON("/telemetry", "{\"device_id\":").status == 400)
        let tooBig = try fixture.client()
        let oversized = try tooBig.postJSON("/telemetry", Payload.batch(40))
        #expect(oversized.status == 413)
        #expect(oversized.json["ok"] as? Bool == false)
        // The JSON parameters of the media type are accepted.
        #expect(
            try client.postJSON("/telemetry", Payload.event(), contentType: "application/JSON; charset=utf-8").status
                == 200)
        #expect(try fixture.storedCount() == 1)
    }

    /// The validation matrix through HTTP: each invalid body gets 400 naming the problem, and nothing is stored.
    @Test(arguments: [
        (#"{"value":1}"#, "device_id: required"),
        (#"{"device_id":"","value":1}"#, "device_id: must be 1 to 128 bytes"),
        (#"{"device_id":"d","value":"x"}"#, "value: expected a finite number"),
        (#"{"device_id":"d","value":1e400}"#, "value: expected a finite number"),
        (#"{"device_id":"d","value":1,"colour":"red"}"#, "colour: unknown field"),
        (#"{"device_id":"d","value":1,"priority":"urgent"}"#, "priority: expected HIGH, MEDIUM or LOW"),
        (#"{"device_id":"d","value":1,"timestamp":"yesterday"}"#, "timestamp: expected an RFC 3339 date-time"),
        (#"{"device_id":"d","value":1,"metadata":{"a":[1]}}"#, "metadata.a: expected a string, number or boolean"),
        (#"[]"#, "events: empty batch"),
        (#"[{"device_id":"d","value":1},{"device_id":"d","value":null}]"#, "events[1].value"),
        (#"{"device_id":"d","value":1} x"#, "body: invalid JSON"),
        ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "body: nesting deeper than 32"),
    ])
    func validationMatrix(body: String, expected: String) throws {
        let fixture = try GatewayFixture()
        let response = try fixture.client().postJSON("/telemetry", body)
        #expect(response.status == 400)
        let message = response.json["error"] as? String ?? ""
        #expect(message.contains(expected), "\(message)")
        #expect(try fixture.storedCount() == 0)
    }

    /// Invalid UTF-8 is a 400, never a crash.
    @Test func invalidUTF8() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        var body = Array(#"{"device_id":"d"#.utf8) + [0xC3, 0x28] + Array(#"","value":1}"#.utf8)
        let head =
            "POST /telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        body = Array(head.utf8) + body
        try client.send(body)
        #expect(try client.readResponse().status == 400)
        #expect(try client.request("GET", "/health").status == 200)
    }

    /// Stored events carry device_id, priority and the compact JSON with received_at; a batch answers `accepted`.
    @Test func storesEventsAndBatches() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        let single = try client.postJSON("/telemetry", Payload.event("dev-9", priority: "high"))
        #expect(single.status == 200)
        let id = single.json["id"] as? String ?? ""
        #expect(single.json["ok"] as? Bool == true)
        let redis = try fixture.redis.client()
        guard case .array(let entries) = try redis.command("XRANGE", fixture.stream, id, id),
            case .array(let parts)? = entries.first,
            case .array(let fields) = parts[1]
        else {
            Issue.record("entry \(id) not found")
            return
        }
        let values = fields.compactMap(\.string)
        #expect(values[0...3] == ["device_id", "dev-9", "priority", "HIGH"])
        #expect(values[4] == "data")
        #expect(
            values[5].hasPrefix(
                #"{"device_id":"dev-9","value":21.5,"unit":"celsius","priority":"HIGH","received_at":""#))

        let batch = try client.postJSON("/telemetry", Payload.batch(100))
        #expect(batch.status == 200)
        #expect(batch.json["accepted"] as? Int == 100)
        #expect(try fixture.storedCount() == 101)

        // All or nothing: one bad event rejects the whole batch.
        var events = (0..<5).map { Payload.event("b\($0)") }
        events[3] = #"{"device_id":"b3"}"#
        let rejected = try client.postJSON("/telemetry", "[" + events.joined(separator: ",") + "]")
        #expect(rejected.status == 400)
        #expect((rejected.json["error"] as? String ?? "").hasPrefix("events[3].value"))
        #expect(try fixture.storedCount() == 101)

        let tooMany = try client.postJSON("/telemetry", Payload.batch(1001))
        #expect(tooMany.status == 400)
    }

    /// /start and /stop need the admin bearer token; stopped ingestion answers 503 with Retry-After.
    @Test func startStopWithAuth() throws {
        let fixture = try GatewayFixture(gatewayArguments: ["--admin-token", "s3cret"])
        let client = try fixture.client()
        #expect(try client.request("POST", "/stop").status == 401)
        #expect(try client.request("POST", "/stop", headers: ["Authorization: Basic czNjcmV0"]).status == 401)
        #expect(try client.request("POST", "/stop", headers: ["Authorization: Bearer wrong"]).status == 403)
        let stopped = try client.request("POST", "/stop", headers: ["Authorization: bearer s3cret"])
        #expect(stopped.status == 200)
        #expect(stopped.json["state"] as? String == "stopped")

        let refused = try client.postJSON("/telemetry", Payload.event())
        #expect(refused.status == 503)
        #expect(refused.header("retry-after") != nil)
        #expect(try client.request("GET", "/ready").status == 503)
        #expect(try client.request("GET", "/status").json["state"] as? String == "stopped")

        #expect(try client.request("POST", "/start", headers: ["Authorization: BEARER s3cret"]).status == 200)
        #expect(try client.postJSON("/telemetry", Payload.event()).status == 200)
        #expect(try fixture.storedCount() == 1)
    }

    /// Without a configured token, /start and /stop are refused.
    @Test func controlDisabledWithoutToken() throws {
        let fixture = try GatewayFixture()
        #expect(try fixture.client().request("POST", "/stop", headers: ["Authorization: Bearer x"]).status == 403)
    }

    /// Bad flags and values exit with status 2 and one line on stderr; --help exits 0.
    @Test(arguments: [
        ["--port", "70000"], ["--workers", "0"], ["--nope"], ["--redis", "http://x"], ["--header-timeout", "-1"],
        ["--port"],
    ])
    func badFlagsExitWithStatus2(arguments: [String]) throws {
        let directory = TestEnvironment.temporaryDirectory("flags")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try ManagedProcess(
            executable: GatewayProcess.binaryPath(), arguments: arguments, logPath: directory + "/log")
        #expect(process.waitForExit() == 2)
        let lines = process.log.split(separator: "\n")
        #expect(lines.count == 1, "\(process.log)")
    }

    @Test func helpExitsZero() throws {
        let directory = TestEnvironment.temporaryDirectory("help")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try ManagedProcess(
            executable: GatewayProcess.binaryPath(), arguments: ["--help"], logPath: directory + "/log")
        #expect(process.waitForExit() == 0)
        #expect(process.log.contains("--queue-size"))
        #expect(process.log.contains("TELEMETRY_"))
    }
}
