import Foundation
import Glibc
import TestSupport

/// The real `telemetry-gateway` on a free port, for the pipeline test that posts over HTTP (the gateway's own
/// end-to-end tests have a fuller harness; this one only needs to start it and post).
final class GatewayLauncher: @unchecked Sendable {
    let port: Int
    let process: ManagedProcess
    private let directory: String

    init(redisURL: String) throws {
        port = try TestEnvironment.freePort()
        directory = TestEnvironment.temporaryDirectory("gateway-for-processor")
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let candidates = [
            ProcessInfo.processInfo.environment["TELEMETRY_GATEWAY_BINARY"], bundle + "/telemetry-gateway",
            FileManager.default.currentDirectoryPath + "/.build/debug/telemetry-gateway",
        ].compactMap { $0 }
        guard let binary = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw HarnessError("telemetry-gateway binary not found; run `swift build` first")
        }
        process = try ManagedProcess(
            executable: binary, arguments: ["--host", "127.0.0.1", "--port", String(port), "--redis", redisURL],
            logPath: directory + "/gateway.log")
        let port = self.port
        let up = waitUntil(timeout: .seconds(15)) {
            guard let client = try? RawHTTPClient(port: port, timeout: .seconds(2)),
                let response = try? client.request("GET", "/health")
            else { return false }
            return response.bodyText.contains("\"redis\":\"up\"")
        }
        guard up else { throw HarnessError("gateway did not come up on port \(port):\n\(process.log)") }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
