import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// Outcomes of many requests, collected from several client threads.
final class LoadTally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var statuses: [Int: Int] = [:]
    private(set) var storedIDs: [String] = []
    private(set) var slowestNon200: Duration = .zero
    private(set) var transportErrors = 0
    private(set) var last200: ContinuousClock.Instant?

    func record(_ response: ReceivedResponse, elapsed: Duration) {
        lock.lock()
        defer { lock.unlock() }
        statuses[response.status, default: 0] += 1
        if response.status == 200 {
            if let id = response.json["id"] as? String { storedIDs.append(id) }
            last200 = .now
        } else {
            slowestNon200 = max(slowestNon200, elapsed)
        }
    }

    func recordTransportError() {
        lock.lock()
        transportErrors += 1
        lock.unlock()
    }

    var ok: Int { statuses[200] ?? 0 }
}

/// Load, overload and failure: the promises "a 200 means stored" and "anything else comes back fast".
@Suite(.serialized) struct GatewayFaultTests {
    /// 20,000 requests from 200 concurrent connections: every one answered 200, and the stream holds exactly that
    /// many events.
    @Test func loadAcknowledgedEqualsStored() throws {
        let fixture = try GatewayFixture()
        let tally = LoadTally()
        let port = fixture.gateway.port
        concurrently(200) { worker in
            guard let client = try? RawHTTPClient(port: port) else { return tally.recordTransportError() }
            for request in 0..<100 {
                let started = ContinuousClock.now
                guard
                    let response = try? client.postJSON(
                        "/telemetry", Payload.event("load-\(worker)", value: Double(request)))
                else {
                    return tally.recordTransportError()
                }
                tally.record(response, elapsed: .now - started)
            }
        }
        #expect(tally.transportErrors == 0)
        #expect(tally.ok == 20_000, "\(tally.statuses)")
        #expect(try fixture.storedCount() == tally.ok)
        #expect(Set(tally.storedIDs).count == tally.ok)
    }

    /// Redis SIGKILLed under load: clients see only 200s and fast 503s, the gateway survives, every acknowledged
    /// event is in the stream once Redis restarts from its AOF, and 200s resume within 2 s of the restart.
    @Test func redisKilledUnderLoad() throws {
        let fixture = try GatewayFixture(
            gatewayArguments: ["--redis-timeout", "1"],
            redisArguments: ["--appendonly", "yes", "--appendfsync", "always"])
        let tally = LoadTally()
        let port = fixture.gateway.port
        let stop = Atomic<Bool>(false)
        let restartedAt = Mutex<ContinuousClock.Instant?>(nil)
        let firstOKAfterRestart = Mutex<ContinuousClock.Instant?>(nil)

        let load = Thread {
            concurrently(32) { worker in
                var client = try? RawHTTPClient(port: port, timeout: .seconds(5))
                var sequence = 0
                while !stop.load(ordering: .relaxed) {
                    sequence += 1
                    let started = ContinuousClock.now
                    guard let connection = client,
                        let response = try? connection.postJSON(
                            "/telemetry", Payload.event("k\(worker)", value: Double(sequence)))
                    else {
                        tally.recordTransportError()
                        client = try? RawHTTPClient(port: port, timeout: .seconds(5))
                        continue
                    }
                    tally.record(response, elapsed: .now - started)
                    if response.status == 200, restartedAt.withLock({ $0 }) != nil {
                        firstOKAfterRestart.withLock { if $0 == nil { $0 = .now } }
                    }
                    if response.status == 503 { usleep(20_000) }
                }
            }
        }
        load.start()
        usleep(1_000_000)
        fixture.redis.kill()
        usleep(1_500_000)
        #expect(fixture.gateway.process.isRunning)
        let degraded = try fixture.client().request("GET", "/health")
        #expect(degraded.status == 200 && degraded.json["status"] as? String == "degraded")
        #expect(try fixture.client().request("GET", "/ready").status == 503)
        try fixture.redis.restart()
        restartedAt.withLock { $0 = .now }
        #expect(waitUntil(timeout: .seconds(5)) { firstOKAfterRestart.withLock { $0 } != nil })
        usleep(500_000)
        stop.store(true, ordering: .relaxed)
        while load.isExecuting || !load.isFinished { usleep(10_000) }

        #expect(fixture.gateway.process.isRunning)
        let statuses = Set(tally.statuses.keys)
        #expect(statuses.isSubset(of: [200, 503]), "\(tally.statuses)")
        #expect(tally.statuses[503, default: 0] > 0)
        #expect(tally.slowestNon200 < .seconds(2), "slowest 503 took \(tally.slowestNon200)")
        if let restarted = restartedAt.withLock({ $0 }), let resumed = firstOKAfterRestart.withLock({ $0 }) {
            #expect(resumed - restarted < .seconds(2), "200s resumed \(resumed - restarted) after the restart")
        }
        let stored = Set(try fixture.redis.client().streamIDs(fixture.stream))
        let missing = tally.storedIDs.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) acknowledged events are not in the stream")
    }

    /// Redis unreachable from the start: 503 at once with Retry-After, degraded health; then it recovers by itself.
    @Test func redisDownThenUp() throws {
        let redis = try RedisServerProcess()
        redis.kill()
        let gateway = try GatewayProcess(redisURL: redis.url, waitForRedis: false)
        let client = try gateway.client()
        let started = ContinuousClock.now
        let refused = try client.postJSON("/telemetry", Payload.event())
        #expect(refused.status == 503)
        #expect(ContinuousClock.now - started < .milliseconds(500))
        #expect(refused.header("retry-after") != nil)
        #expect(try client.request("GET", "/health").json["redis"] as? String == "down")
        try redis.restart()
        #expect(
            waitUntil(timeout: .seconds(5)) {
                (try? client.postJSON("/telemetry", Payload.event()).status) == 200
            })
    }

    /// With Redis paused and `--queue-size 4`, requests beyond the 4 pending events get 503 "queue full" at once;
    /// the admitted ones fail with 503 when the Redis timeout expires; nothing hangs.
    @Test func queueFullAnswers503AtOnce() throws {
        let fixture = try GatewayFixture(gatewayArguments: ["--queue-size", "4", "--redis-timeout", "1"])
        let pauser = try fixture.redis.client()
        _ = try pauser.command("CLIENT", "PAUSE", "3000", "WRITE")
        let tally = LoadTally()
        let fastQueueFull = Atomic<Int>(0)
        let port = fixture.gateway.port
        concurrently(12) { worker in
            guard let client = try? RawHTTPClient(port: port) else { return tally.recordTransportError() }
            let started = ContinuousClock.now
            guard let response = try? client.postJSON("/telemetry", Payload.event("q\(worker)")) else {
                return tally.recordTransportError()
            }
            let elapsed = ContinuousClock.now - started
            tally.record(response, elapsed: elapsed)
            if response.status == 503, (response.json["error"] as? String) == "queue full", elapsed < .milliseconds(500)
            {
                fastQueueFull.add(1, ordering: .relaxed)
            }
        }
        #expect(tally.transportErrors == 0)
        #expect(Set(tally.statuses.keys).isSubset(of: [200, 503]))
        #expect(fastQueueFull.load(ordering: .relaxed) >= 8, "\(tally.statuses)")
        #expect(tally.slowestNon200 < .milliseconds(2500))
    }

    /// SIGTERM during load: the gateway stops accepting, finishes requests in flight, exits 0, and every
    /// acknowledged event is in the stream.
    @Test func sigtermDuringLoadLosesNothing() throws {
        let fixture = try GatewayFixture()
        let tally = LoadTally()
        let port = fixture.gateway.port
        let load = Thread {
            concurrently(16) { worker in
                guard let client = try? RawHTTPClient(port: port) else { return }
                for sequence in 0..<100_000 {
                    guard
                        let response = try? client.postJSON(
                            "/telemetry", Payload.event("t\(worker)", value: Double(sequence)))
                    else {
                        return  // the gateway closed the connection while draining
                    }
                    tally.record(response, elapsed: .zero)
                    if response.header("connection") == "close" { return }
                }
            }
        }
        load.start()
        usleep(700_000)
        fixture.gateway.process.signal(SIGTERM)
        let status = fixture.gateway.process.waitForExit(timeout: .seconds(15))
        while !load.isFinished { usleep(10_000) }
        #expect(status == 0, "\(fixture.gateway.process.log)")
        #expect(tally.ok > 0)
        let stored = Set(try fixture.redis.client().streamIDs(fixture.stream))
        #expect(tally.storedIDs.allSatisfy { stored.contains($0) })
        #expect(stored.count >= tally.ok)
        #expect(fixture.gateway.process.log.contains("msg=stopped"))
    }

    /// Out of file descriptors: excess connections are refused (503 or closed) without a busy loop, counted, and
    /// the gateway serves again once descriptors free up.
    @Test func descriptorExhaustionRecovers() throws {
        let fixture = try GatewayFixture(shellPrefix: "ulimit -n 48")
        var held: [RawHTTPClient] = []
        for _ in 0..<80 {
            if let client = try? fixture.client(timeout: .seconds(2)) { held.append(client) }
        }
        // A shed connection is answered without asking; the ones being served have nothing to read.
        usleep(200_000)
        let refusals = held.filter(\.hasPendingInput).compactMap { try? $0.readResponse() }
        #expect(!refusals.isEmpty)
        for response in refusals {
            Self.expectConnectionRefusal(response, "out of file descriptors")
        }
        var refused = 0
        for client in held {
            if let response = try? client.request("GET", "/health"), response.status == 200 { continue }
            refused += 1
        }
        #expect(refused > 0)
        held.removeAll()
        #expect(
            waitUntil(timeout: .seconds(5)) {
                (try? fixture.client(timeout: .seconds(2)).request("GET", "/health").status) == 200
            })
        let metrics = try fixture.client().request("GET", "/metrics").bodyText
        let line = metrics.split(separator: "\n").first {
            $0.hasPrefix("gateway_connections_refused_total{reason=\"descriptors\"}")
        }
        #expect(line.map { !$0.hasSuffix(" 0") } == true, "\(String(describing: line))")
        #expect(try fixture.client().postJSON("/telemetry", Payload.event()).status == 200)
    }

    /// `--max-connections`: a connection beyond the cap is answered 503 at once, with the JSON error body and exactly
    /// one `Retry-After`, and closed; the connection within the cap keeps working.
    @Test func connectionBeyondCapIsRefusedWithOneRetryAfter() throws {
        let fixture = try GatewayFixture(gatewayArguments: ["--max-connections", "1"])
        var admitted: RawHTTPClient?
        // The fixture's own readiness probe may still hold the only slot for a moment.
        #expect(
            waitUntil(timeout: .seconds(5)) {
                guard let client = try? fixture.client(timeout: .seconds(2)),
                    (try? client.request("GET", "/health").status) == 200
                else { return false }
                admitted = client
                return true
            })
        let refused = try fixture.client(timeout: .seconds(5))
        Self.expectConnectionRefusal(try refused.readResponse(), "too many connections")
        #expect(refused.readToEnd().ending == .eof)
        #expect(try #require(admitted).request("GET", "/health").status == 200)
    }

    private static func expectConnectionRefusal(
        _ response: ReceivedResponse, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == 503, sourceLocation: sourceLocation)
        #expect(response.headers(named: "Retry-After") == ["1"], sourceLocation: sourceLocation)
        #expect(response.closesConnection, sourceLocation: sourceLocation)
        #expect(response.json["ok"] as? Bool == false, sourceLocation: sourceLocation)
        #expect(response.json["error"] as? String == reason, sourceLocation: sourceLocation)
    }
}
