import Foundation
import Glibc

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A private redis-server for one test: its own port and data directory, killed and removed afterwards.
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let extraArguments: [String]
    private var process: ManagedProcess?

    /// - Parameter extraArguments: more redis-server options, e.g. `["--appendonly", "yes"]`.
    public init(extraArguments: [String] = []) throws {
        guard TestEnvironment.which("redis-server") != nil else {
            throw TestSetupError("redis-server is not installed; scripts/test installs it (apt-get install redis-server)")
        }
        port = TestEnvironment.freePort()
        directory = TestEnvironment.temporaryDirectory("redis")
        self.extraArguments = extraArguments
        try start()
    }

    deinit {
        process = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    public func start() throws {
        let arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
                         "--appendonly", "no", "--protected-mode", "no"] + extraArguments
        process = try ManagedProcess(executable: TestEnvironment.which("redis-server")!, arguments: arguments,
                                     logPath: directory + "/redis.log")
        let ready = TestEnvironment.waitUntil(timeout: .seconds(10)) {
            (try? BlockingRedisClient(port: port, password: password).command("PING")) != nil
        }
        guard ready else { throw TestSetupError("redis-server did not answer PING on port \(port): \(process?.log ?? "")") }
    }

    /// The password from `--requirepass`, if the test set one (so readiness checks can authenticate).
    private var password: String? {
        guard let index = extraArguments.firstIndex(of: "--requirepass"), index + 1 < extraArguments.count else { return nil }
        return extraArguments[index + 1]
    }

    /// SIGKILL: no shutdown, no final AOF rewrite; what was fsynced survives.
    public func kill() {
        process?.signal(SIGKILL)
        _ = process?.waitForExit(timeout: .seconds(5))
        process = nil
    }

    public func restart() throws {
        kill()
        try start()
    }

    /// A new blocking client for assertions.
    public func client() throws -> BlockingRedisClient {
        try BlockingRedisClient(port: port, password: password)
    }
}
