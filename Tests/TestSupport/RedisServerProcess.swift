import Foundation
import Glibc

/// A private `redis-server` for one test: its own free port and temporary directory, no persistence unless the test
/// asks for it.
///
/// It can be killed with SIGKILL and restarted on the same port and directory, to test what a client sees when Redis
/// dies (and, with `--appendonly yes`, what survives). `stop()` kills it and removes the directory; call it in a
/// `defer`, because ARC may release a local right after its last use, while the test still needs the server.
public final class RedisServerProcess: @unchecked Sendable {
    public private(set) var port = 0
    private let executable: String
    private let extraArguments: [String]
    private let directory: String
    private var process: ManagedProcess?

    /// Starts `redis-server --save '' --appendonly no` plus `extraArguments` (which may override those) and returns
    /// once it answers PING. With `port`, only that port is tried (a cluster node needs port + 10,000 free as well,
    /// which its caller checks); without, free ports are tried until one binds.
    public init(_ extraArguments: [String] = [], port fixedPort: Int? = nil) throws {
        guard let executable = TestEnvironment.which("redis-server") else {
            throw HarnessError(
                "redis-server is not on PATH; these tests need a real Redis (scripts/test installs it, "
                    + "or: apt-get install redis-server)")
        }
        self.executable = executable
        self.extraArguments = extraArguments
        directory = TestEnvironment.temporaryDirectory("redis")
        // Another process may take the free port between probing it and Redis binding it; a fresh port is tried then.
        var attempt = 0
        while true {
            let candidate = try fixedPort ?? TestEnvironment.freePort()
            do {
                try launch(port: candidate)
                port = candidate
                return
            } catch {
                attempt += 1
                if attempt == 3 || fixedPort != nil { throw error }  // deinit removes the directory
            }
        }
    }

    deinit {
        stop()
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Kills the server at once (no shutdown, connections reset), as a crash or an OOM kill would; what was fsynced
    /// survives.
    public func kill() {
        guard let process else { return }
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: .seconds(5))
        self.process = nil
    }

    /// Starts the server again on the same port and directory, killing it first if it still runs.
    public func restart() throws {
        kill()
        try launch(port: port)
    }

    public func stop() {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new blocking client for assertions and fixture commands.
    public func client() throws(BlockingSocket.Failure) -> BlockingRedisClient {
        try BlockingRedisClient(port: port)
    }

    private func launch(port: Int) throws {
        let arguments =
            [
                "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
                "--protected-mode", "no", "--dir", directory,
            ] + extraArguments
        let process = try ManagedProcess(
            executable: executable, arguments: arguments, logPath: directory + "/redis.log")
        self.process = process
        // Any reply to PING will do: a server with `requirepass` answers NOAUTH, which shows it is up just as well.
        let answered = waitUntil(timeout: .seconds(10)) {
            !process.isRunning || (try? BlockingRedisClient(port: port).command("PING")) != nil
        }
        guard answered, process.isRunning else {
            kill()
            throw HarnessError("redis-server did not start on port \(port):\n\(process.log)")
        }
    }
}
