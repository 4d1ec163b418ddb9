import Foundation
import Glibc
import TestSupport

/// The real `telemetry-processor` executable on a free port, for end-to-end tests.
final class ProcessorProcess: @unchecked Sendable {
    let port: Int
    let process: ManagedProcess
    private let directory: String

    init(redisURL: String, influxURL: String, arguments: [String] = []) throws {
        port = try TestEnvironment.freePort()
        directory = TestEnvironment.temporaryDirectory("processor")
        let all =
            [
                "--host", "127.0.0.1", "--port", String(port), "--redis", redisURL, "--influx", influxURL,
                "--log-level", "debug",
            ] + arguments
        process = try ManagedProcess(
            executable: try Self.binaryPath(), arguments: all, logPath: directory + "/processor.log")
        let port = self.port
        let up = waitUntil(timeout: .seconds(15)) {
            guard let client = try? RawHTTPClient(port: port, timeout: .seconds(2)),
                let response = try? client.request("GET", "/health")
            else { return false }
            return response.status == 200
        }
        guard up else { throw HarnessError("processor did not come up on port \(port):\n\(process.log)") }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var log: String { process.log }

    /// One sample of /metrics, by its full name with labels, e.g. `processor_dead_letters_total{reason="rejected"}`.
    func metric(_ name: String) -> Double? {
        guard let client = try? RawHTTPClient(port: port, timeout: .seconds(5)),
            let response = try? client.request("GET", "/metrics")
        else { return nil }
        for line in response.bodyText.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    func kill() {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: .seconds(5))
    }

    static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TELEMETRY_PROCESSOR_BINARY"] { return path }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for candidate in [
            bundleDirectory + "/telemetry-processor",
            FileManager.default.currentDirectoryPath + "/.build/debug/telemetry-processor",
        ] where access(candidate, X_OK) == 0 {
            return candidate
        }
        throw HarnessError("telemetry-processor binary not found next to \(bundleDirectory); run `swift build` first")
    }
}

/// Writes events straight into the stream in the gateway's exact format:
/// `XADD <stream> * device_id <id> priority <P> data <compact JSON with received_at last>`.
private nonisolated(unsafe) let formatter: ISO8601DateFormatter = {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter
}()

struct EventWriter {
    let redis: BlockingRedisClient
    var stream = "telemetry:events"

    /// The gateway's `data` for a reading; `received_at` is now, in RFC 3339 milliseconds.
    static func data(device: String, value: String, type: String = "temperature", extra: String = "") -> String {
        let now = formatter.string(from: Date())
        return "{\"device_id\":\"\(device)\",\"value\":\(value),\"type\":\"\(type)\",\"unit\":\"C\"\(extra),"
            + "\"priority\":\"MEDIUM\",\"received_at\":\"\(now)\"}"
    }

    @discardableResult
    func add(device: String, data: String, priority: String = "MEDIUM") throws -> String {
        let reply = try redis.command("XADD", stream, "*", "device_id", device, "priority", priority, "data", data)
        guard let id = reply.string else { throw HarnessError("XADD failed: \(reply)") }
        return id
    }

    /// `count` ordinary events spread over 50 devices.
    func addMany(_ count: Int, prefix: String = "dev") throws {
        for index in 0..<count {
            try add(
                device: "\(prefix)-\(index % 50)",
                data: Self.data(device: "\(prefix)-\(index % 50)", value: "\(index).5"))
        }
    }
}
