import Foundation
import Glibc
import TestSupport
import Testing

/// Limits and disk faults: a full spool and a full filesystem answer 503, never a crash, never a 2xx that is not on
/// disk, and the gateway recovers by itself.
@Suite(.serialized) struct SpoolFaultTests {
    private static func batch(_ device: String, _ first: Int, count: Int = 20) -> String {
        "["
            + (first..<(first + count)).map { #"{"device_id":"\#(device)","value":\#($0),"sequence_id":\#($0)}"# }
            .joined(separator: ",") + "]"
    }

    /// `--spool-max-bytes 65536` with Redis down: 503 `spool full` with one Retry-After once the spool holds 64 KiB;
    /// once Redis is back the spool drains and requests are stored again.
    @Test func fullSpoolAnswers503() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        redis.kill()
        let spool = TestEnvironment.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let gateway = try GatewayProcess(
            redisURL: redis.url, arguments: ["--spool-dir", spool, "--spool-max-bytes", "65536"],
            waitForRedis: false)
        let client = try gateway.client()
        let tally = AcknowledgedEvents()
        var refusal: ReceivedResponse?
        for request in 0..<200 {
            let response = try client.postJSON("/telemetry", Self.batch("full", request * 20))
            tally.record(response, device: "full", sequences: (request * 20)..<(request * 20 + 20))
            if response.status != 200 {
                refusal = response
                break
            }
        }
        let refused = try #require(refusal)
        #expect(refused.status == 503)
        #expect(refused.json["error"] as? String == "spool full")
        #expect(refused.headers.filter { $0.name.lowercased() == "retry-after" }.count == 1)
        #expect(tally.count > 0)
        #expect((gateway.metric("gateway_spool_bytes") ?? .infinity) <= 65_536)

        try redis.restart()
        #expect(gateway.waitForEmptySpool(), "\(gateway.health)")
        #expect(try client.postJSON("/telemetry", Self.batch("full", 100_000)).status == 200)
        #expect(try StreamAudit(redis: redis, acknowledged: tally).missing == 0)
    }

    /// A real full filesystem (a 256 KiB tmpfs; mounting needs root): appends fail with ENOSPC, requests get 503
    /// `spool write failed` and one log line, the gateway keeps running; once space returns, requests are spooled
    /// again, and every acknowledged event reaches Redis.
    @Test(.enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
    func fullFilesystemAnswers503ThenRecovers() throws {
        let tmpfs = try Tmpfs(size: "256k")
        let filler = tmpfs.path + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: Data(count: 200 * 1024))
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        redis.kill()
        let gateway = try GatewayProcess(
            redisURL: redis.url, arguments: ["--spool-dir", tmpfs.path + "/spool"], waitForRedis: false)
        let client = try gateway.client()
        let tally = AcknowledgedEvents()
        var refusal: ReceivedResponse?
        var sequence = 0
        for _ in 0..<200 {
            let response = try client.postJSON("/telemetry", Self.batch("disk", sequence))
            tally.record(response, device: "disk", sequences: sequence..<(sequence + 20))
            sequence += 20
            if response.status != 200 {
                refusal = response
                break
            }
        }
        let refused = try #require(refusal)
        #expect(refused.status == 503)
        #expect(refused.json["error"] as? String == "spool write failed")
        #expect(refused.header("retry-after") != nil)
        #expect(gateway.process.isRunning)
        #expect(gateway.process.log.contains("msg=\"spool write failed: answering 503 until a write succeeds\""))
        #expect(gateway.process.log.contains("No space left on device"))

        try FileManager.default.removeItem(atPath: filler)
        let again = try client.postJSON("/telemetry", Self.batch("disk", sequence))
        tally.record(again, device: "disk", sequences: sequence..<(sequence + 20))
        #expect(again.status == 200 && again.json["spooled"] as? Bool == true, "\(again.bodyText)")
        #expect(waitUntil(timeout: .seconds(2)) { gateway.process.log.contains("msg=\"spool writes succeed again\"") })

        try redis.restart()
        #expect(gateway.waitForEmptySpool(), "\(gateway.health)")
        #expect(try StreamAudit(redis: redis, acknowledged: tally).missing == 0)
    }
}

/// A small tmpfs mounted for one test and unmounted when released.
final class Tmpfs {
    let path = TestEnvironment.temporaryDirectory("spool-tmpfs")

    /// Whether this process may mount one (root in a container that allows it); probed once.
    static let canMount: Bool = {
        guard let probe = try? Tmpfs(size: "64k") else { return false }
        _ = probe
        return true
    }()

    init(size: String) throws {
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]) == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw HarnessError("cannot mount a tmpfs at \(path)")
        }
    }

    deinit {
        _ = Self.run("/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
