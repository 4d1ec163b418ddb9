import Foundation
import RespClient
import TestSupport
import Testing

@Suite struct RedisConnectionFakeServerTests {
    static let replies = "+PONG\r\n$15\r\n1700000000000-0\r\n:42\r\n"

    /// A server without HELLO (before Redis 6) answers it with "unknown command": the client stays on RESP2,
    /// skips straight to work, and replies dribbled out one byte at a time still complete each command in order.
    @Test func fallsBackToRESP2AndSurvivesOneByteReplies() throws {
        let received = LockedLog<[String]>()
        let fake = try FakeRedisServer { peer, _ in
            received.append(try peer.readCommands(1)[0])
            try peer.send("-ERR unknown command 'HELLO', with args beginning with: '3' \r\n")
            for command in try peer.readCommands(3) { received.append(command) }
            try peer.sendOneByteAtATime(Self.replies)
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        #expect(harness.connection.status.protocolVersion == 2)

        let replies = ReplyCollector()
        try harness.connection.submit(
            [TestCommand.ping, TestCommand.xadd("s", [1]), [.staticString("INCR"), .staticString("n")]], to: replies)
        let answers = try #require(replies.wait(for: 3))
        #expect(answers.map(\.tag) == [0, 1, 2])
        #expect(answers[0].value == .simpleString("PONG"))
        #expect(answers[1].value == .bulkString(Array("1700000000000-0".utf8)))
        #expect(answers[2].value == .integer(42))
        #expect(received.entries.map { $0.first } == ["HELLO", "PING", "XADD", "INCR"])
        #expect(harness.connection.isUp)
        #expect(fake.scriptErrors.entries.isEmpty)
    }

    /// Without HELLO the credentials and database still apply: the client falls back to AUTH (with the user name
    /// when there is one) and then SELECT, in that order, before it reports up.
    @Test(arguments: [
        ("redis://:pw@127.0.0.1:%d/2", ["AUTH", "pw"]),
        ("redis://alice:pw@127.0.0.1:%d/2", ["AUTH", "alice", "pw"]),
    ])
    func authenticatesTheRESP2WayWithoutHELLO(_ url: String, _ auth: [String]) throws {
        let fake = try FakeRedisServer { peer, _ in
            guard try peer.readCommands(1)[0].first == "HELLO" else { throw HarnessError("expected HELLO first") }
            try peer.send("-ERR unknown command 'HELLO'\r\n")
            try peer.expect(auth, reply: "+OK\r\n")
            try peer.expect(["SELECT", "2"], reply: "+OK\r\n")
            try peer.expect(["PING"], reply: "+PONG\r\n")
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: url.replacingOccurrences(of: "%d", with: "\(fake.port)"))
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        #expect(harness.connection.status.protocolVersion == 2)
        let replies = ReplyCollector()
        try harness.connection.submit([TestCommand.ping], to: replies)
        #expect(replies.wait(for: 1)?.first?.value == .simpleString("PONG"))
        #expect(fake.scriptErrors.entries.isEmpty)
    }

    /// A server that accepts the connection but never answers the handshake is given up on after the connect
    /// timeout, with a status that says so, and retried.
    @Test func silentHandshakeTimesOut() throws {
        let fake = try FakeRedisServer { peer, _ in try peer.waitForClose() }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)") {
            $0.connectTimeout = .milliseconds(200)
            $0.reconnectBaseDelay = .milliseconds(10)
        }
        defer { harness.stop() }
        let timedOut = { harness.statusChanges.filter { $0.lastError?.contains("timed out") == true }.count }
        try #require(waitUntil { timedOut() >= 2 })
        #expect(!harness.connection.isUp)
        #expect(harness.statusChanges.allSatisfy { $0.state != .up })
    }

    /// RESP3 push frames (invalidations, pub/sub) answer no command: they are skipped, and the replies around them
    /// still go to the right commands.
    @Test func skipsOutOfBandPushes() throws {
        let fake = try FakeRedisServer { peer, _ in
            try peer.acceptHello()
            _ = try peer.readCommands(2)
            try peer.send(">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n:1\r\n>1\r\n+x\r\n:2\r\n")
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())

        let replies = ReplyCollector()
        let increments: [[RESPArgument]] = [
            [.staticString("INCR"), .staticString("a")], [.staticString("INCR"), .staticString("b")],
        ]
        try harness.connection.submit(increments, to: replies)
        let answers = try #require(replies.wait(for: 2))
        #expect(answers.map(\.value) == [.integer(1), .integer(2)])
        #expect(harness.connection.isUp)
        #expect(fake.scriptErrors.entries.isEmpty)
    }

    /// Far more output (4 MB) than the socket buffers hold, to a server that is slow to read: the unsent rest waits for
    /// writability and goes out in order, and every command is answered.
    @Test func writesWhatTheSocketCannotTakeAtOnceLater() throws {
        let commandCount = 1_000
        let fake = try FakeRedisServer(readTimeout: .seconds(60)) { peer, _ in
            try peer.acceptHello()
            usleep(300_000)  // not reading lets the client's socket buffer fill up
            var lastIndex = -1
            for command in try peer.readCommands(commandCount) {
                guard command.count == 3, let index = Int(command[1]), index == lastIndex + 1 else {
                    throw HarnessError("commands out of order after \(lastIndex)")
                }
                lastIndex = index
            }
            try peer.send(String(repeating: "+OK\r\n", count: commandCount))
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)") {
            $0.commandTimeout = .seconds(90)
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp())

        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 4 * 1024)
        let commands: [[RESPArgument]] = (0..<commandCount).map { [.staticString("SET"), .integer($0), .bytes(value)] }
        let replies = ReplyCollector()
        try harness.connection.submit(commands, to: replies)
        let answers = try #require(replies.wait(for: commandCount, timeout: .seconds(90)))
        #expect(answers.allSatisfy { $0.value == .simpleString("OK") })
        #expect(answers.map(\.tag) == Array(0..<commandCount))
        #expect(fake.scriptErrors.entries.isEmpty)
    }

    /// Bytes that are not RESP fail every pending command with `.connectionLost` naming a protocol error; the
    /// stream cannot be trusted after them.
    @Test func garbageFailsEveryPendingCommand() throws {
        let fake = try FakeRedisServer { peer, index in
            try peer.acceptHello()
            guard index == 0 else { return try peer.waitForClose() }
            _ = try peer.readCommands(5)
            try peer.send("?garbage\r\n")
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)")
        defer { harness.stop() }
        try #require(harness.waitUntilUp())
        #expect(harness.connection.status.protocolVersion == 3)

        let replies = ReplyCollector()
        try harness.connection.submit(Array(repeating: TestCommand.ping, count: 5), to: replies)
        let answers = try #require(replies.wait(for: 5))
        #expect(answers.map(\.tag) == [0, 1, 2, 3, 4])
        for answer in answers {
            guard case .connectionLost(let reason) = answer.error else {
                Issue.record("expected connectionLost, got \(answer.result)")
                continue
            }
            #expect(reason.contains("protocol error"), "\(reason)")
        }
        #expect(harness.connection.commandsInFlight == 0)
        #expect(fake.scriptErrors.entries.isEmpty)
    }

    /// A reply when no command is waiting means the stream is out of step: the connection is dropped cleanly (no
    /// crash, no reply handed to anyone) and re-established.
    @Test func unsolicitedReplyDropsTheConnectionCleanly() throws {
        let fake = try FakeRedisServer { peer, index in
            try peer.acceptHello()
            if index == 0 {
                try peer.send("+SURPRISE\r\n")
            } else {
                try peer.expect(["PING"], reply: "+PONG\r\n")
            }
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)") {
            $0.reconnectBaseDelay = .milliseconds(10)
        }
        defer { harness.stop() }

        let dropped = {
            harness.statusChanges.contains {
                $0.state == .down && $0.lastError?.contains("no command waiting") == true
            }
        }
        try #require(waitUntil(dropped))
        try #require(waitUntil { harness.connection.isUp && harness.connection.status.reconnects == 1 })
        let replies = ReplyCollector()
        try harness.connection.submit([TestCommand.ping], to: replies)
        #expect(replies.wait(for: 1)?.first?.value == .simpleString("PONG"))
        #expect(fake.scriptErrors.entries.isEmpty)
    }

    /// The server closing the socket fails the commands waiting for replies with `.connectionLost`, and the
    /// client reconnects by itself.
    @Test func serverCloseFailsPendingCommandsAndReconnects() throws {
        let fake = try FakeRedisServer { peer, index in
            try peer.acceptHello()
            if index == 0 {
                _ = try peer.readCommands(3)
                return  // the harness closes the socket
            }
            try peer.expect(["PING"], reply: "+PONG\r\n")
            try peer.waitForClose()
        }
        defer { fake.stop() }
        let harness = try ConnectionHarness(url: "redis://127.0.0.1:\(fake.port)") {
            $0.reconnectBaseDelay = .milliseconds(10)
        }
        defer { harness.stop() }
        try #require(harness.waitUntilUp())

        let replies = ReplyCollector()
        try harness.connection.submit(Array(repeating: TestCommand.ping, count: 3), to: replies)
        let answers = try #require(replies.wait(for: 3))
        #expect(answers.map(\.tag) == [0, 1, 2])
        for answer in answers {
            guard case .connectionLost(let reason) = answer.error else {
                Issue.record("expected connectionLost, got \(answer.result)")
                continue
            }
            #expect(reason.contains("closed"), "\(reason)")
        }

        try #require(waitUntil { harness.connection.isUp && harness.connection.status.reconnects == 1 })
        let later = ReplyCollector()
        try harness.connection.submit([TestCommand.ping], to: later)
        #expect(later.wait(for: 1)?.first?.value == .simpleString("PONG"))
        #expect(fake.scriptErrors.entries.isEmpty)
    }
}
