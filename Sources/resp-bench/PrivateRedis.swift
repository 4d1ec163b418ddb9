import Foundation
import RedisServerLauncher

/// The benchmark's redis-server, launched by `RedisServerLauncher` as the tests launch theirs, plus what the
/// benchmark needs around it: its CPU time and `redis-cli`.
final class PrivateRedis {
    let server: RedisServerLauncher

    init() {
        do { server = try RedisServerLauncher(directoryPrefix: "resp-bench") } catch { fail("\(error)") }
        Cleanup.server.withLock { $0 = server }
    }

    var port: Int { server.port }

    var cpuSeconds: Double { processCPUSeconds(server.processIdentifier) }

    /// Runs one command through redis-cli and returns its output.
    func cli(_ arguments: String...) throws -> String {
        try run(which("redis-cli"), ["-h", "127.0.0.1", "-p", String(port)] + arguments)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        Cleanup.server.withLock { $0 = nil }
        server.stop()
    }
}

/// The absolute path of `tool` on PATH.
func which(_ tool: String) -> String {
    guard let path = RedisServerLauncher.which(tool) else {
        fail("\(tool) is not on PATH (apt-get install redis-server redis-tools)")
    }
    return path
}

/// Runs a program to completion and returns its standard output.
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
