import Reactor
import RespClient
import TestSupport

/// A `RedisConnection` on its own event loop thread, torn down in order by `stop()`.
final class ConnectionHarness {
    let loop: EventLoop
    let connection: RedisConnection
    private let thread: OSThread
    private let statusLog = LockedLog<RedisStatus>()
    private var stopped = false

    /// Starts connecting at once, after `prepare` has seen the connection. Every status change is recorded, so a
    /// test can see a transition however briefly it lasted.
    init(_ configuration: RedisConfiguration, prepare: (RedisConnection) -> Void = { _ in }) throws {
        (loop, thread) = try EventLoop.startThread(name: "redis-test")
        connection = RedisConnection(loop: loop, configuration: configuration)
        connection.onStatusChange = { [statusLog] status in statusLog.append(status) }
        prepare(connection)
        connection.start()
    }

    convenience init(url: String, configure: (inout RedisConfiguration) -> Void = { _ in }) throws {
        var configuration = RedisConfiguration(url: try RedisURL(parsing: url))
        configure(&configuration)
        try self.init(configuration)
    }

    deinit {
        stop()
    }

    var statusChanges: [RedisStatus] { statusLog.entries }

    func waitUntilUp(timeout: Duration = .seconds(10)) -> Bool {
        waitUntil(timeout: timeout) { connection.isUp }
    }

    /// Shuts the connection down (pending commands fail with `.shutdown`), then stops and joins the loop.
    func stop() {
        guard !stopped else { return }
        stopped = true
        connection.shutdown()
        loop.stop()
        thread.join()
    }
}

extension RedisConnection {
    /// Encodes `commands` back to back and submits them as one submission.
    func submit(_ commands: [[RESPArgument]], to handler: any RedisReplyHandler) throws(RedisError) {
        try submit(TestCommand.encode(commands), commandCount: commands.count, to: handler)
    }

    /// Submits commands already encoded back to back.
    func submit(_ bytes: [UInt8], commandCount: Int, to handler: any RedisReplyHandler) throws(RedisError) {
        // `withUnsafeBytes` only rethrows untyped errors, so the typed error travels out as a Result.
        let outcome = bytes.withUnsafeBytes { raw in
            Result { () throws(RedisError) in try submit(encoded: raw, commandCount: commandCount, handler: handler) }
        }
        try outcome.get()
    }
}

/// Commands the tests send, spelled once.
enum TestCommand {
    static func encode(_ commands: [[RESPArgument]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for command in commands {
            RESPEncoder.appendCommand(command, to: &bytes)
        }
        return bytes
    }

    static func xadd(_ key: String, _ payload: [UInt8]) -> [RESPArgument] {
        [.staticString("XADD"), .string(key), .staticString("*"), .staticString("data"), .bytes(payload)]
    }

    static let ping: [RESPArgument] = [.staticString("PING")]

    /// A telemetry event of the size the gateway stores (196 bytes of JSON).
    static let telemetryPayload = Array(
        (#"{"device_id":"sensor-17","type":"temperature","value":27.31,"unit":"celsius","priority":"MEDIUM","#
            + #""timestamp":"2026-11-30T04:00:00.000Z","metadata":{"location":"zone-1","firmware_version":"2.3.1"}}"#)
            .utf8)
}

extension RESPValue {
    /// True for a stream entry ID, `<milliseconds>-<sequence>`.
    var isStreamID: Bool {
        guard case .bulkString(let bytes) = self, let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else {
            return false
        }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        return dash > 0 && dash < bytes.count - 1 && bytes[..<dash].allSatisfy(isDigit)
            && bytes[(dash + 1)...].allSatisfy(isDigit)
    }
}
