import Glibc
import Reactor
import TestSupport

/// A scripted stand-in for Redis: a listening socket on 127.0.0.1 served by one plain thread, which runs `script`
/// for each accepted connection in turn (with the connection's index, 0 for the first), then closes it.
///
/// It lets a test send what a real Redis never would (no HELLO, garbage, unsolicited replies, a reply dribbled out
/// one byte at a time) at exactly the moment the test chooses.
final class FakeRedisServer: @unchecked Sendable {
    let port: Int
    /// What went wrong inside scripts (a script error cannot fail the test from the server thread by itself).
    let scriptErrors = LockedLog<String>()
    private let listenFD: Int32
    private var thread: OSThread?

    /// - Parameter readTimeout: how long a script's reads wait; generous for scripts that move megabytes, which a
    ///   debug build under a parallel test run can take many seconds to parse.
    init(readTimeout: Duration = .seconds(10), script: @escaping @Sendable (FakeRedisPeer, Int) throws -> Void) throws {
        let (fd, port) = try TestEnvironment.bindLoopback(listenBacklog: 16)
        listenFD = fd
        self.port = port
        let scriptErrors = scriptErrors
        thread = OSThread(name: "fake-redis") {
            var index = 0
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // the listening socket was shut down
                }
                let peer = FakeRedisPeer(socket: BlockingSocket(fd: client, timeout: readTimeout))
                do {
                    try script(peer, index)
                } catch {
                    scriptErrors.append("connection \(index): \(error)")
                }
                peer.socket.close()
                index += 1
            }
        }
    }

    deinit {
        stop()
    }

    /// Stops accepting and waits for the server thread; a script still running ends when its client goes away.
    func stop() {
        guard let thread else { return }
        self.thread = nil
        shutdown(listenFD, Int32(SHUT_RDWR))
        thread.join()
        Glibc.close(listenFD)
    }
}

/// The server's end of one connection.
final class FakeRedisPeer {
    let socket: BlockingSocket

    init(socket: BlockingSocket) {
        self.socket = socket
    }

    /// The next command's arguments as text, or nil once the client has closed (or reset) the connection.
    func readCommand() throws(BlockingSocket.Failure) -> [String]? {
        do throws(BlockingSocket.Failure) {
            let header = try socket.readLine()
            guard header.first == UInt8(ascii: "*"),
                let count = Int(String(decoding: header.dropFirst(), as: UTF8.self))
            else { throw .unexpected("expected a command array, got \(String(decoding: header, as: UTF8.self))") }
            var arguments: [String] = []
            for _ in 0..<count {
                let lengthLine = try socket.readLine()
                guard lengthLine.first == UInt8(ascii: "$"),
                    let length = Int(String(decoding: lengthLine.dropFirst(), as: UTF8.self))
                else { throw .unexpected("expected a bulk string argument") }
                arguments.append(String(decoding: try socket.read(count: length + 2).dropLast(2), as: UTF8.self))
            }
            return arguments
        } catch .closed, .reset {
            return nil
        }
    }

    /// Reads `count` commands and returns them.
    func readCommands(_ count: Int) throws -> [[String]] {
        var commands: [[String]] = []
        while commands.count < count {
            guard let command = try readCommand() else { throw HarnessError("client closed after \(commands)") }
            commands.append(command)
        }
        return commands
    }

    /// Reads one command, checks it is `command`, and answers `reply`.
    func expect(_ command: [String], reply: String) throws {
        guard let received = try readCommand() else { throw HarnessError("client closed; expected \(command)") }
        guard received == command else { throw HarnessError("expected \(command), got \(received)") }
        try send(reply)
    }

    /// Reads the client's HELLO and accepts RESP3 with a minimal HELLO map.
    func acceptHello() throws {
        guard let hello = try readCommand(), hello.first == "HELLO" else { throw HarnessError("expected HELLO") }
        try send("%1\r\n+server\r\n+fake\r\n")
    }

    func send(_ text: String) throws(BlockingSocket.Failure) {
        try socket.send(text)
    }

    /// Sends `text` with one `send` per byte and a short pause between them, so the client's reads see the reply
    /// cut at every byte boundary.
    func sendOneByteAtATime(_ text: String) throws(BlockingSocket.Failure) {
        for byte in text.utf8 {
            try socket.send([byte])
            usleep(300)
        }
    }

    /// Blocks until the client closes its end (or the read times out).
    func waitForClose() throws(BlockingSocket.Failure) {
        while try readCommand() != nil {}
    }
}
