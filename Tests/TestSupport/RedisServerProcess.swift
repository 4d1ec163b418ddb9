import Foundation
import Glibc
import RedisServerLauncher

/// A private `redis-server` for one test: its own free port and temporary directory, no persistence unless the test
/// asks for it. The launching itself is `RedisServerLauncher`'s, shared with `resp-bench`.
///
/// It can be killed with SIGKILL and restarted on the same port and directory, to test what a client sees when Redis
/// dies (and, with `--appendonly yes`, what survives). `stop()` kills it and removes the directory; call it in a
/// `defer`, because ARC may release a local right after its last use, while the test still needs the server.
public final class RedisServerProcess: @unchecked Sendable {
    private let server: RedisServerLauncher

    /// Starts `redis-server --save '' --appendonly no` plus `extraArguments` (which may override those) and returns
    /// once it answers PING. With `port`, only that port is tried (a cluster node needs port + 10,000 free as well,
    /// which its caller checks); without, free ports are tried until one binds.
    public init(_ extraArguments: [String] = [], port: Int? = nil) throws {
        do {
            server = try RedisServerLauncher(extraArguments, port: port)
        } catch {
            throw HarnessError(
                "\(error) (these tests need a real Redis; scripts/test installs it, or: apt-get install redis-server)")
        }
    }

    public var port: Int { server.port }

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Kills the server at once (no shutdown, connections reset), as a crash or an OOM kill would; what was fsynced
    /// survives.
    public func kill() {
        server.kill()
    }

    /// Starts the server again on the same port and directory, killing it first if it still runs.
    public func restart() throws {
        try server.restart()
    }

    public func stop() {
        server.stop()
    }

    /// A new blocking client for assertions and fixture commands.
    public func client() throws(BlockingSocket.Failure) -> BlockingRedisClient {
        try BlockingRedisClient(port: port)
    }
}
