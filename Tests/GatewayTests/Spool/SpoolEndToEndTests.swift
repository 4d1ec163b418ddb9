import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// The real gateway with `--spool-dir` and a real Redis that dies: a 200 means durable, whatever happens to Redis or
/// to the gateway itself.
@Suite(.serialized) struct SpoolEndToEndTests {
    /// Redis SIGKILLed while eight clients post (single events and batches of 10): not one request fails, requests
    /// are answered `"spooled":true` meanwhile, and once Redis is back every acknowledged event is in the stream,
    /// each device's in order, with at most one batch of duplicates.
    @Test func redisStoppedWhileClientsPost() throws {
        let redis = try RedisServerProcess(["--appendonly", "yes", "--appendfsync", "always"])
        defer { redis.stop() }
        let spool = TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let gateway = try GatewayProcess(redisURL: redis.url, arguments: ["--spool-dir", spool])
        let tally = AcknowledgedEvents()
        let stop = StopFlag()
        let port = gateway.port
        let load = Background {
            postEvents(
                port: port, devicePrefix: "outage", workers: 8, batch: { $0 % 2 == 0 ? 1 : 10 }, into: tally,
                until: stop)
        }
        usleep(500_000)
        redis.kill()
        usleep(1_000_000)
        let during = gateway.health
        #expect(during["status"] as? String == "degraded")
        #expect((during["spool_events"] as? Int ?? 0) > 0, "\(during)")
        #expect(try gateway.client().request("GET", "/ready").status == 200)
        try redis.restart()
        usleep(700_000)
        stop.stop()
        load.wait()

        #expect(gateway.waitForEmptySpool(), "\(gateway.health)")
        #expect(tally.transportErrors == 0)
        #expect(tally.failedRequests == 0, "\(tally.statuses)")
        #expect(tally.spooledResponses > 0)
        let audit = try StreamAudit(redis: redis, acknowledged: tally)
        #expect(audit.missing == 0, "\(audit.missing) of \(tally.count) acknowledged events are not in the stream")
        #expect(audit.outOfOrder.isEmpty, "out of order: \(audit.outOfOrder)")
        #expect(audit.duplicates <= 1_000, "\(audit.duplicates) duplicates")
        #expect(gateway.metric("gateway_spool_forwarded_total").map { $0 > 0 } == true)
        #expect(gateway.process.isRunning)
    }

    /// kill -9 of the gateway while it spools (Redis down), and again while it forwards (Redis back): after each
    /// restart on the same directory nothing acknowledged is missing, order holds, and the forwarding crash replays
    /// at most one batch.
    @Test func killDashNineWhileSpoolingAndWhileForwarding() throws {
        let redis = try RedisServerProcess(["--appendonly", "yes", "--appendfsync", "always"])
        defer { redis.stop() }
        redis.kill()
        let spool = TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let arguments = ["--spool-dir", spool]
        let tally = AcknowledgedEvents()

        // 1. Spooling, Redis down: kill -9 in the middle of the posts.
        let first = try GatewayProcess(redisURL: redis.url, arguments: arguments, waitForRedis: false)
        let stop = StopFlag()
        let port = first.port
        let load = Background {
            postEvents(
                port: port, devicePrefix: "crash", workers: 4, batch: { _ in 50 }, into: tally, until: stop,
                stopOnTransportError: true)
        }
        usleep(800_000)
        first.process.signal(SIGKILL)
        _ = first.process.waitForExit(timeout: .seconds(5))
        stop.stop()
        load.wait()
        let spooled = tally.count
        #expect(spooled > 0)

        // 2. Restarted: everything acknowledged is there again; then Redis returns and the gateway is killed as soon
        //    as forwarding has begun.
        let second = try GatewayProcess(redisURL: redis.url, arguments: arguments, waitForRedis: false)
        #expect(
            waitUntil(timeout: .seconds(5)) { (second.health["spool_events"] as? Int ?? 0) >= spooled },
            "\(second.health) for \(spooled) acknowledged")
        try redis.restart()
        var caughtForwarding = false
        _ = waitUntil(timeout: .seconds(10)) {
            let sample = second.metrics(["gateway_spool_forwarded_total", "gateway_spool_events"])
            guard let forwarded = sample["gateway_spool_forwarded_total"], forwarded > 0 else { return false }
            second.process.signal(SIGKILL)
            caughtForwarding = (sample["gateway_spool_events"] ?? 0) > 0  // some forwarded, some still spooled
            return true
        }
        second.process.signal(SIGKILL)
        _ = second.process.waitForExit(timeout: .seconds(5))
        #expect(caughtForwarding)

        // 3. Restarted again: it finishes forwarding.
        let third = try GatewayProcess(redisURL: redis.url, arguments: arguments)
        #expect(third.waitForEmptySpool(), "\(third.health)")
        let audit = try StreamAudit(redis: redis, acknowledged: tally)
        #expect(audit.missing == 0, "\(audit.missing) of \(tally.count) acknowledged events are not in the stream")
        #expect(audit.outOfOrder.isEmpty, "out of order: \(audit.outOfOrder)")
        #expect(audit.duplicates <= 1_000, "\(audit.duplicates) duplicates")
        #expect(third.process.log.contains("msg=\"spool ready\""))
    }
}
