import Foundation
import Glibc

/// Starts a private `redis-server` for a test or a benchmark: a free port on 127.0.0.1, its own temporary directory,
/// no persistence unless the caller's arguments ask for it, and a log file in that directory.
///
/// The tests (through `TestSupport.RedisServerProcess`) and `resp-bench` both launch Redis with this, so the flags
/// that make a run reproducible (`--save ''`, `--appendonly no`, loopback only) are written once. It lives in its
/// own small target rather than in `TestSupport` so that the benchmark, an executable under `Sources/`, does not
/// depend on test code, and it uses only Foundation and Glibc like the rest of `Sources/`.
public final class RedisServerLauncher: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// How long a fresh server gets to answer its first PING: it starts in milliseconds, but a loaded machine (a
    /// parallel test run on two cores) can delay that a lot.
    static let startupTimeout: Duration = .seconds(10)
    /// Pause between PING probes while it starts, in microseconds: 10 ms, a small fraction of a typical start.
    static let probeIntervalMicroseconds: UInt32 = 10_000
    /// Fresh ports tried when another process takes the one probed before Redis could bind it.
    static let portAttempts = 3

    public private(set) var port = 0
    public let directory: String
    private let executable: String
    private let extraArguments: [String]
    private var process: Process?

    /// Starts `redis-server --bind 127.0.0.1 --save '' --appendonly no` plus `extraArguments` (which may override
    /// those) and returns once it answers PING. With `port`, only that port is tried (a cluster node needs
    /// port + 10,000 free as well, which its caller checks); without, free ports are tried until one binds.
    public init(
        _ extraArguments: [String] = [], port fixedPort: Int? = nil, directoryPrefix: String = "redis"
    )
        throws(Failure)
    {
        guard let executable = Self.which("redis-server") else {
            throw Failure(description: "redis-server is not on PATH (apt-get install redis-server)")
        }
        self.executable = executable
        self.extraArguments = extraArguments
        directory = NSTemporaryDirectory() + "\(directoryPrefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var attempt = 0
        while true {
            let candidate: Int
            if let fixedPort { candidate = fixedPort } else { candidate = try Self.freePort() }
            do throws(Failure) {
                try launch(port: candidate)
                port = candidate
                return
            } catch {
                attempt += 1
                if attempt == Self.portAttempts || fixedPort != nil {
                    try? FileManager.default.removeItem(atPath: directory)
                    throw error
                }
            }
        }
    }

    deinit {
        stop()
    }

    /// The running server's process id, 0 when it is not running.
    public var processIdentifier: Int32 { process.map { $0.isRunning ? $0.processIdentifier : 0 } ?? 0 }

    public var logPath: String { directory + "/redis.log" }

    /// Kills the server at once (SIGKILL: no shutdown, connections reset), as a crash or an OOM kill would.
    public func kill() {
        guard let process else { return }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        self.process = nil
    }

    /// Starts the server again on the same port and directory, killing it first if it still runs.
    public func restart() throws(Failure) {
        kill()
        try launch(port: port)
    }

    /// Kills the server and removes its directory.
    public func stop() {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func launch(port: Int) throws(Failure) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
                "--protected-mode", "no", "--dir", directory, "--logfile", logPath,
            ] + extraArguments
        // Until the log file is open (a configuration error, say) Redis writes to stderr: keep that beside the log.
        let outputPath = directory + "/redis.stderr"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = FileHandle(forWritingAtPath: outputPath)
        process.standardOutput = output
        process.standardError = output
        defer { try? output?.close() }
        do { try process.run() } catch { throw Failure(description: "cannot start redis-server: \(error)") }
        self.process = process
        let deadline = ContinuousClock.now + Self.startupTimeout
        while process.isRunning && ContinuousClock.now < deadline {
            if Self.answersPING(port: port) { return }
            usleep(Self.probeIntervalMicroseconds)
        }
        let log = [outputPath, logPath].map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }.joined()
        kill()
        throw Failure(description: "redis-server did not start on port \(port):\n\(log)")
    }

    // MARK: Helpers

    /// Whether something on 127.0.0.1:`port` answers an inline `PING` with any RESP reply: a server with
    /// `requirepass` answers `-NOAUTH`, which shows it is up just as well.
    public static func answersPING(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        let ping = Array("PING\r\n".utf8)
        guard connected, send(fd, ping, ping.count, Int32(MSG_NOSIGNAL)) == ping.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &reply, reply.count, 0)
        return count > 0 && (reply[0] == UInt8(ascii: "+") || reply[0] == UInt8(ascii: "-"))
    }

    /// A TCP port on 127.0.0.1 that nothing listened on a moment ago: bind port 0 and ask the kernel which it picked.
    public static func freePort() throws(Failure) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind 127.0.0.1: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Finds a program on PATH, or in the usual system directories when PATH lacks them.
    public static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
