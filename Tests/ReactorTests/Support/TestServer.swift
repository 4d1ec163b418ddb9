import Dispatch
import Glibc

@testable import Reactor

/// An `HTTPServer` on its own loop thread, listening on 127.0.0.1 on an ephemeral port.
///
/// The server belongs to its loop thread: tests reach it only through `onLoop`, which runs a closure there and waits
/// for the result. Call `stop()` (in a `defer`) when done; it closes every connection and joins the thread.
final class TestServer {
    enum Failure: Error {
        /// The loop did not run a task within the wait limit: it is stuck or was stopped.
        case loopUnresponsive
    }

    let loop: EventLoop
    let port: Int
    private let server: HandedToLoop<HTTPServer>
    private let thread: OSThread
    private var stopped = false

    init(_ configuration: HTTPServerConfiguration = .init(), handler: any HTTPHandler) throws {
        var configuration = configuration
        configuration.listener.host = "127.0.0.1"
        configuration.listener.port = 0
        let (loop, thread) = try EventLoop.startThread(name: "server-test")
        let server = HandedToLoop(HTTPServer(loop: loop, configuration: configuration, handler: handler))
        self.loop = loop
        self.thread = thread
        self.server = server
        do {
            port = try Self.run(on: loop) { try server.value.start().port }
        } catch {
            loop.stop()
            thread.join()
            throw error
        }
    }

    /// Runs `body` with the server on the loop thread and returns what it returns.
    func onLoop<Value>(_ body: @escaping (HTTPServer) throws -> Value) throws -> Value {
        let server = self.server
        return try Self.run(on: loop) { try body(server.value) }
    }

    var stats: HTTPServer.Statistics {
        get throws { try onLoop { $0.statistics.snapshot } }
    }

    var openConnections: Int {
        get throws { try onLoop { $0.openConnections } }
    }

    /// Checks `condition` on the loop thread every few milliseconds until it holds or `limit` has passed; returns
    /// whether it held. The limit only bounds a failing test; a passing one returns as soon as the condition holds.
    func waitUntil(limit: Duration = .seconds(10), _ condition: @escaping (HTTPServer) -> Bool) throws -> Bool {
        let clock = SystemClock()
        let deadline = clock.now() + limit
        while clock.now() < deadline {
            if try onLoop(condition) { return true }
            usleep(2_000)
        }
        return try onLoop(condition)
    }

    /// Runs `body` while the loop thread is parked inside a task, so that whatever the body does to sockets is
    /// all waiting, as under load, when the loop next looks.
    func whileLoopIsBlocked(_ body: () throws -> Void) throws {
        let parked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        loop.execute {
            parked.signal()
            release.wait()
        }
        guard parked.wait(timeout: .now() + .seconds(10)) == .success else { throw Failure.loopUnresponsive }
        defer { release.signal() }
        try body()
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? onLoop { $0.closeAll() }
        loop.stop()
        thread.join()
    }

    private static func run<Value>(on loop: EventLoop, _ body: @escaping () throws -> Value) throws -> Value {
        let outcome = LoopOutcome<Value>()
        let task = HandedToLoop(body)
        loop.execute { outcome.finish(Result { try task.value() }) }
        return try outcome.wait()
    }
}

/// Carries a value that is not `Sendable` to the loop thread, the only thread that uses it once handed over.
struct HandedToLoop<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}

/// The result of a task on the loop thread, handed back to the waiting test thread.
private final class LoopOutcome<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    func finish(_ result: Result<Value, any Error>) {
        self.result = result
        done.signal()
    }

    func wait() throws -> Value {
        guard done.wait(timeout: .now() + .seconds(10)) == .success, let result else {
            throw TestServer.Failure.loopUnresponsive
        }
        return try result.get()
    }
}
