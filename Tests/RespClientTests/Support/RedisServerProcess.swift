import Foundation
import Glibc

/// A private `redis-server` for one test: its own free port, its own temporary directory, no persistence.
///
/// It can be killed with SIGKILL and restarted on the same port, to test what a client sees when Redis dies, and it
/// always cleans up after itself: `stop()` (also run by `deinit`) kills the process and removes the directory.
final class RedisServerProcess {
    private(set) var port = 0
    private let executable: URL
    private let extraArguments: [String]
    private let directory: URL
    private var process: Process?

    /// Starts `redis-server --save '' --appendonly no` plus `extraArguments` and returns once it answers PING.
    init(_ extraArguments: [String] = []) throws {
        executable = try Self.findExecutable()
        self.extraArguments = extraArguments
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("resp-client-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Another process may take the free port between probing it and Redis binding it; a fresh port is tried then.
        var attempt = 0
        while true {
            let candidate = try Self.freePort()
            do {
                try launch(port: candidate)
                port = candidate
                return
            } catch {
                attempt += 1
                if attempt == 3 {
                    try? FileManager.default.removeItem(at: directory)
                    throw error
                }
            }
        }
    }

    deinit {
        stop()
    }

    /// Kills the server at once (no shutdown, connections reset), as a crash or an OOM kill would.
    func kill() {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Starts the server again on the same port after `kill()`.
    func restart() throws {
        kill()
        try launch(port: port)
    }

    func stop() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    private func launch(port: Int) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments =
            [
                "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
            ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitForPing(port: port, process: process)
    }

    /// Polls until PING gets any reply (a server with `requirepass` answers NOAUTH, which is just as good).
    private func waitForPing(port: Int, process: Process) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                self.process = nil
                throw HarnessError("redis-server exited at startup (port \(port)); see \(directory.path)/redis.log")
            }
            if let client = try? BlockingRedisClient(port: port), (try? client.command("PING")) != nil {
                return
            }
            usleep(10_000)
        }
        kill()
        throw HarnessError("redis-server on port \(port) did not answer PING within 10 s")
    }

    private static func findExecutable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("redis-server")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw HarnessError(
            "redis-server is not on PATH; these tests need a real Redis (scripts/test installs it, "
                + "or: apt-get install redis-server)")
    }

    /// A port nothing listens on right now: bind port 0 and ask the kernel which one it picked.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.system("socket") }
        defer { Glibc.close(fd) }
        var address = BlockingSocket.loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError.system("bind") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
