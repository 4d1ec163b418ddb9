import Foundation
import Glibc
import TestSupport

/// The real `telemetry-gateway` executable, started on a free port for end-to-end tests.
final class GatewayProcess: @unchecked Sendable {
    let port: Int
    let process: ManagedProcess
    private let directory: String

    /// - Parameters:
    ///   - redisURL: the `--redis` URL.
    ///   - arguments: more flags.
    ///   - shellPrefix: shell commands run before `exec` (e.g. `ulimit -n 64`), when needed.
    ///   - waitForRedis: whether to return only once /health reports Redis up.
    init(redisURL: String, arguments: [String] = [], shellPrefix: String? = nil, waitForRedis: Bool = true) throws {
        port = try TestEnvironment.freePort()
        directory = TestEnvironment.temporaryDirectory("gateway")
        let binary = try Self.binaryPath()
        let all =
            ["--host", "127.0.0.1", "--port", String(port), "--redis", redisURL, "--log-level", "debug"] + arguments
        if let shellPrefix {
            let quoted = ([binary] + all).map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(
                separator: " ")
            process = try ManagedProcess(
                executable: "/bin/sh", arguments: ["-c", "\(shellPrefix); exec \(quoted)"],
                logPath: directory + "/gateway.log")
        } else {
            process = try ManagedProcess(executable: binary, arguments: all, logPath: directory + "/gateway.log")
        }
        let port = self.port
        let up = waitUntil(timeout: .seconds(15)) {
            guard let client = try? RawHTTPClient(port: port, timeout: .seconds(2)),
                let response = try? client.request("GET", "/health")
            else { return false }
            return !waitForRedis || response.bodyText.contains("\"redis\":\"up\"")
        }
        guard up else { throw HarnessError("gateway did not come up on port \(port):\n\(process.log)") }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func client(timeout: Duration = .seconds(10)) throws(BlockingSocket.Failure) -> RawHTTPClient {
        try RawHTTPClient(port: port, timeout: timeout)
    }

    /// The path of the built executable: `TELEMETRY_GATEWAY_BINARY`, else next to the test bundle.
    static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TELEMETRY_GATEWAY_BINARY"] { return path }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for candidate in [
            bundleDirectory + "/telemetry-gateway",
            FileManager.default.currentDirectoryPath + "/.build/debug/telemetry-gateway",
        ]
        where access(candidate, X_OK) == 0 {
            return candidate
        }
        throw HarnessError("telemetry-gateway binary not found next to \(bundleDirectory); run `swift build` first")
    }
}
