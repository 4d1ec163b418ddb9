import Glibc
import TestSupport
import Testing

@testable import Reactor

/// The listening socket, driven tick by tick on the test thread: no loop thread, no server.
@Suite struct ListenerTests {
    /// Collects what the listener hands over; closes the sockets at the end.
    private final class Accepted {
        var sockets: [Int32] = []
        var shed: [Int32] = []

        deinit {
            for fd in sockets + shed { Glibc.close(fd) }
        }
    }

    private static func makeListener(
        loop: EventLoop, accepted: Accepted, acceptBudget: Int = 256
    ) throws -> Listener {
        try Listener(
            loop: loop, configuration: .init(host: "127.0.0.1", port: 0, acceptBudget: acceptBudget),
            onAccept: { accepted.sockets.append($0) }, onShed: { accepted.shed.append($0) })
    }

    /// Port 0 binds an ephemeral port, reported in `address`; an accepted socket is non-blocking, close-on-exec and
    /// has TCP_NODELAY set.
    @Test func acceptedSocketsAreReadyForTheLoop() throws {
        let loop = try EventLoop()
        let accepted = Accepted()
        let listener = try Self.makeListener(loop: loop, accepted: accepted)
        defer { listener.close() }
        #expect(listener.address.port > 0)
        let client = try RawHTTPClient(port: listener.address.port)
        for _ in 0..<100 where accepted.sockets.isEmpty { loop.tick(maximumWait: .milliseconds(100)) }
        try #require(accepted.sockets.count == 1)
        let fd = accepted.sockets[0]
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(try Posix.getOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY) != 0)
        client.close()
    }

    /// The accept budget caps connections taken per readiness event; the rest are taken on later ticks, and none
    /// is lost.
    @Test func acceptBudgetSpreadsABurstOverTicks() throws {
        let loop = try EventLoop()
        let accepted = Accepted()
        let listener = try Self.makeListener(loop: loop, accepted: accepted, acceptBudget: 2)
        defer { listener.close() }
        let clients = try (0..<5).map { _ in try RawHTTPClient(port: listener.address.port) }
        var perTick: [Int] = []
        for _ in 0..<100 where accepted.sockets.count < clients.count {
            let before = accepted.sockets.count
            loop.tick(maximumWait: .milliseconds(100))
            perTick.append(accepted.sockets.count - before)
        }
        #expect(accepted.sockets.count == 5)
        #expect(perTick.allSatisfy { $0 <= 2 }, "accepted per tick: \(perTick)")
        #expect(perTick.count >= 3)
        #expect(accepted.shed.isEmpty)
    }

    /// After `close()` new connections are refused by the kernel, and closing again is harmless.
    @Test func closeRefusesNewConnections() throws {
        let loop = try EventLoop()
        let accepted = Accepted()
        let listener = try Self.makeListener(loop: loop, accepted: accepted)
        let port = listener.address.port
        listener.close()
        listener.close()
        loop.tick(maximumWait: .zero)
        #expect(throws: RawHTTPClient.Failure.connect(errno: ECONNREFUSED)) { try RawHTTPClient(port: port) }
        #expect(accepted.sockets.isEmpty)
    }

    /// A host that is not a numeric address is refused at once, without touching DNS.
    @Test func nonNumericHostIsRefused() throws {
        let loop = try EventLoop()
        #expect(throws: SystemError.self) {
            try Listener(
                loop: loop, configuration: .init(host: "localhost", port: 0), onAccept: { _ in }, onShed: { _ in })
        }
    }
}
