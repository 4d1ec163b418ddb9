import Reactor
import Testing

@testable import RespClient

/// `RedisConnectionStateMachine` driven without sockets: resolution, every address in turn, the handshake and its
/// RESP2 fallbacks, the connect and command timeouts, the back-off schedule with the jitter fixed, and shutdown from
/// every phase, with a manual clock. The socket tests (`RedisConnection*Tests`) check the same behaviour end to end.
@Suite struct RedisConnectionStateMachineTests {
    typealias Machine = RedisConnectionStateMachine
    let clock = ManualClock()
    static let first = SocketAddress(numericHost: "::1", port: 6379)!
    static let second = SocketAddress(numericHost: "127.0.0.1", port: 6379)!
    static let connectTimeout = Duration.seconds(2)

    /// A machine for `url` whose back-off uses `jitter` (0: the lower half of each delay, 1: the ceiling).
    static func machine(_ url: String = "redis://127.0.0.1:6379", jitter: Double = 0.5) -> Machine {
        let configuration = RedisConfiguration(url: try! RedisURL(parsing: url))
        var settings = Machine.Settings(configuration)
        settings.reconnect.jitter = { jitter }
        return Machine(settings: settings)
    }

    var now: MonotonicInstant { clock.now() }

    /// A machine resolving "redis.test", then connecting to `addresses[0]`.
    func connecting(to addresses: [SocketAddress], url: String = "redis://redis.test:6379") -> Machine {
        var machine = Self.machine(url)
        _ = machine.start(at: now)
        #expect(
            machine.resolved(addresses, attempt: 1, at: now) == [
                .scheduleTimer(at: now + Self.connectTimeout), .connect(addresses[0]),
            ])
        return machine
    }

    /// A machine that finished the handshake with `HELLO 3` on 127.0.0.1.
    func up(jitter: Double = 0.5) -> Machine {
        var machine = Self.machine(jitter: jitter)
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        _ = machine.handshakeReplied(.map([]), at: now)
        #expect(machine.phase == .up)
        return machine
    }

    /// What a link failure answers: close, publish down, fail what is pending, announce, and retry at `retryAt`.
    static func linkDownActions(
        _ machine: Machine, sent: RedisError, reason: String, retryAt: MonotonicInstant
    )
        -> [Machine.Action]
    {
        [
            .closeSocket, .cancelTimer, .publish(machine.status),
            .failPending(sent: sent, unsent: .notConnected(reason)), .announce(machine.status),
            .scheduleTimer(at: retryAt),
        ]
    }

    // MARK: Resolution and addresses

    /// A numeric host needs no resolver: start publishes "connecting", arms the connect deadline and connects.
    @Test func numericHostConnectsAtOnce() {
        var machine = Self.machine()
        let actions = machine.start(at: now)
        #expect(
            actions == [
                .publish(machine.status), .scheduleTimer(at: now + Self.connectTimeout), .connect(Self.second),
            ])
        #expect(machine.status.state == .connecting)
        #expect(machine.isConnecting && !machine.isLinked)
        #expect(machine.start(at: now) == [], "a second start does nothing")
    }

    /// A host name is resolved off the loop, and its answer starts the connect to the first address.
    @Test func hostNameIsResolvedFirst() {
        var machine = Self.machine("redis://redis.test:7000")
        let actions = machine.start(at: now)
        #expect(actions.last == .resolve(host: "redis.test", port: 7000, attempt: 1))
        #expect(machine.phase == .resolving(attempt: 1, deadline: now + Self.connectTimeout))
        #expect(machine.resolved([Self.first], attempt: 1, at: now).last == .connect(Self.first))
    }

    /// Two addresses: the first refuses, so the second is tried at once with a fresh deadline, before any back-off;
    /// it connects and the handshake starts on it.
    @Test func triesTheNextAddressWhenOneRefuses() {
        var machine = connecting(to: [Self.first, Self.second])
        clock.advance(by: .milliseconds(3))
        #expect(
            machine.connectFailed("Connection refused", at: now) == [
                .closeSocket, .scheduleTimer(at: now + Self.connectTimeout), .connect(Self.second),
            ])
        #expect(machine.consecutiveFailures == 0)
        #expect(machine.connected(at: now) == [.sendHandshake(.hello)])
        #expect(machine.phase == .handshaking(.hello, address: Self.second, deadline: now + Self.connectTimeout))
    }

    /// A connect that does not finish within the connect timeout moves on to the next address; the timer firing
    /// early only re-arms it.
    @Test func connectTimeoutMovesToTheNextAddress() {
        var machine = connecting(to: [Self.first, Self.second])
        let deadline = now + Self.connectTimeout
        clock.advance(by: .seconds(1))
        #expect(machine.timerFired(at: now, oldestCommandDeadline: nil) == [.scheduleTimer(at: deadline)])
        clock.advance(by: .seconds(1))
        #expect(
            machine.timerFired(at: now, oldestCommandDeadline: nil) == [
                .closeSocket, .scheduleTimer(at: now + Self.connectTimeout), .connect(Self.second),
            ])
    }

    /// Only when every address has failed does the machine back off, with the last failure as the status.
    @Test func backsOffOnlyAfterEveryAddressFailed() {
        var machine = connecting(to: [Self.first, Self.second])
        _ = machine.connectFailed("Connection refused", at: now)
        clock.advance(by: .seconds(2))
        let actions = machine.timerFired(at: now, oldestCommandDeadline: nil)
        let reason = "connect to \(Self.second) timed out"
        #expect(machine.status.lastError == reason)
        #expect(machine.status.state == .down)
        #expect(
            actions
                == Self.linkDownActions(
                    machine, sent: .connectionLost(reason), reason: reason, retryAt: now + .microseconds(37_500)))
        #expect(machine.consecutiveFailures == 1)
    }

    /// A link failure while connecting (the shell's `epoll_ctl` failed: a local problem, not the address's) backs
    /// off at once instead of trying the next address, and fails whatever is pending.
    @Test func registrationFailureWhileConnectingBacksOff() {
        var machine = connecting(to: [Self.first, Self.second])
        let error = RedisError.connectionLost("epoll_ctl: ENOMEM")
        let actions = machine.linkFailed(error, at: now)
        #expect(
            actions
                == Self.linkDownActions(
                    machine, sent: error, reason: error.description, retryAt: now + .microseconds(37_500)))
        #expect(!actions.contains(.connect(Self.second)))
    }

    /// A failed resolution backs off; an answer to an attempt that already timed out is ignored.
    @Test func resolutionFailureAndStaleAnswers() {
        var machine = Self.machine("redis://redis.test:6379")
        _ = machine.start(at: now)
        clock.advance(by: Self.connectTimeout)
        let actions = machine.timerFired(at: now, oldestCommandDeadline: nil)
        #expect(actions.first == .closeSocket)
        #expect(machine.status.lastError == "resolving redis.test timed out")
        #expect(machine.resolved([Self.first], attempt: 1, at: now) == [])
        #expect(machine.resolutionFailed("late", attempt: 1, at: now) == [])
        guard case .waitingToReconnect(let until) = machine.phase else {
            Issue.record("\(machine.phase)")
            return
        }

        clock.advance(by: .nanoseconds(Int64(until.nanoseconds(since: now))))
        #expect(
            machine.timerFired(at: now, oldestCommandDeadline: nil).last
                == .resolve(
                    host: "redis.test", port: 6379, attempt: 2))
        let failed = machine.resolutionFailed("Name or service not known", attempt: 2, at: now)
        #expect(failed.contains(.publish(machine.status)))
        #expect(machine.status.lastError == "cannot resolve redis.test: Name or service not known")
    }

    // MARK: Handshake

    /// `HELLO 3` answered with a map: RESP3, up, the connect deadline cancelled, status announced.
    @Test func helloSucceeds() {
        var machine = Self.machine()
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        #expect(machine.command(for: .hello).count == 2)
        let actions = machine.handshakeReplied(.map([]), at: now)
        #expect(machine.status == RedisStatus(state: .up, lastError: nil, reconnects: 0, protocolVersion: 3))
        #expect(actions == [.cancelTimer, .publish(machine.status), .announce(machine.status)])
    }

    /// Credentials ride on HELLO (`AUTH default pw` without a user name), and a non-zero database is selected.
    @Test func helloCarriesCredentialsThenSelects() {
        var machine = Self.machine("redis://:pw@127.0.0.1:6379/4")
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        #expect(Self.text(machine.command(for: .hello)) == ["HELLO", "3", "AUTH", "default", "pw"])
        #expect(machine.handshakeReplied(.map([]), at: now) == [.sendHandshake(.select(protocolVersion: 3))])
        #expect(Self.text(machine.command(for: .select(protocolVersion: 3))) == ["SELECT", "4"])
        _ = machine.handshakeReplied(.simpleString("OK"), at: now)
        #expect(machine.status.state == .up && machine.status.protocolVersion == 3)
    }

    /// A server before Redis 6 ("unknown command" or NOPROTO): RESP2, then AUTH the old way with the user name
    /// when there is one, then SELECT, then up on RESP2.
    @Test(arguments: ["ERR unknown command 'HELLO'", "NOPROTO unsupported protocol version"])
    func fallsBackToRESP2(_ refusal: String) {
        var machine = Self.machine("redis://alice:pw@127.0.0.1:6379/2")
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        #expect(machine.handshakeReplied(.error(refusal), at: now) == [.sendHandshake(.auth)])
        #expect(Self.text(machine.command(for: .auth)) == ["AUTH", "alice", "pw"])
        #expect(machine.handshakeReplied(.simpleString("OK"), at: now) == [.sendHandshake(.select(protocolVersion: 2))])
        _ = machine.handshakeReplied(.simpleString("OK"), at: now)
        #expect(machine.status.state == .up && machine.status.protocolVersion == 2)
    }

    /// Without credentials or a database, the fallback goes straight to up.
    @Test func fallsBackToRESP2WithoutAuth() {
        var machine = Self.machine()
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        _ = machine.handshakeReplied(.error("ERR unknown command 'HELLO'"), at: now)
        #expect(machine.phase == .up && machine.status.protocolVersion == 2)
    }

    /// Any other refusal (HELLO's own WRONGPASS, AUTH's, SELECT's) fails the attempt with the server's words.
    @Test(arguments: [0, 1, 2])
    func handshakeRefusalFailsTheAttempt(_ failingStep: Int) {
        var machine = Self.machine("redis://:pw@127.0.0.1:6379/1")
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        // 0: HELLO itself refused; 1: the RESP2 fallback's AUTH refused; 2: AUTH accepted, SELECT refused.
        let accepted: [RESPValue] = [.error("ERR unknown command 'HELLO'"), .simpleString("OK")]
        for reply in accepted.prefix(failingStep) { _ = machine.handshakeReplied(reply, at: now) }
        let actions = machine.handshakeReplied(.error("WRONGPASS invalid username-password pair"), at: now)
        #expect(machine.status.state == .down)
        #expect(machine.status.lastError == "handshake: WRONGPASS invalid username-password pair")
        #expect(actions.first == .closeSocket)
    }

    /// A server that accepts the TCP connection but never answers HELLO is given up on at the connect deadline.
    @Test func silentHandshakeTimesOut() {
        var machine = Self.machine()
        _ = machine.start(at: now)
        _ = machine.connected(at: now)
        clock.advance(by: Self.connectTimeout)
        let actions = machine.timerFired(at: now, oldestCommandDeadline: now)
        #expect(machine.status.lastError == "connect to 127.0.0.1:6379 timed out")
        #expect(
            actions.contains(
                .failPending(
                    sent: .connectionLost("connect to 127.0.0.1:6379 timed out"),
                    unsent: .notConnected("connect to 127.0.0.1:6379 timed out"))))
    }

    // MARK: Up, failures and back-off

    /// While up, the only deadline is the oldest command's: none pending, no timer; not yet due, re-arm; due, the
    /// link is dropped, sent commands fail with `.timeout` and queued ones with `.notConnected`.
    @Test func commandTimeoutDropsTheLink() {
        var machine = up()
        #expect(machine.timerFired(at: now, oldestCommandDeadline: nil) == [])
        let deadline = now + .seconds(1)
        #expect(machine.timerFired(at: now, oldestCommandDeadline: deadline) == [.scheduleTimer(at: deadline)])
        clock.advance(by: .seconds(1))
        let actions = machine.timerFired(at: now, oldestCommandDeadline: deadline)
        let reason = "no reply within 1.0 seconds"
        #expect(machine.status.lastError == reason)
        #expect(
            actions
                == Self.linkDownActions(
                    machine, sent: .timeout, reason: reason, retryAt: now + .microseconds(37_500)))
    }

    /// EOF, a reset or garbage while up: pending commands fail with the error, the status shows its description,
    /// and the next time the link comes up counts as a reconnect.
    @Test func linkFailureThenReconnect() {
        var machine = up()
        let error = RedisError.connectionLost("server closed the connection")
        let actions = machine.linkFailed(error, at: now)
        #expect(
            actions
                == Self.linkDownActions(
                    machine, sent: error, reason: error.description, retryAt: now + .microseconds(37_500)))
        #expect(machine.status.lastError == error.description)
        #expect(!machine.isLinked)

        clock.advance(by: .milliseconds(10))
        let retryAt = now + .microseconds(27_500)
        #expect(machine.timerFired(at: now, oldestCommandDeadline: nil) == [.scheduleTimer(at: retryAt)])
        clock.advance(by: .milliseconds(30))
        #expect(machine.timerFired(at: now, oldestCommandDeadline: nil).last == .connect(Self.second))
        #expect(machine.status.state == .connecting)
        #expect(machine.status.lastError == error.description, "the last failure stays visible while retrying")
        _ = machine.connected(at: now)
        _ = machine.handshakeReplied(.map([]), at: now)
        #expect(machine.status == RedisStatus(state: .up, lastError: nil, reconnects: 1, protocolVersion: 3))
    }

    /// The back-off doubles from the base (50 ms) to the cap (2 s), each delay between half its ceiling (jitter 0)
    /// and the ceiling (jitter 1), and starts over once the link has been up.
    @Test(arguments: [
        (0.0, [25, 50, 100, 200, 400, 800, 1000, 1000]), (1.0, [50, 100, 200, 400, 800, 1600, 2000, 2000]),
    ])
    func backOffSchedule(_ jitter: Double, _ expectedMilliseconds: [Int]) {
        var machine = Self.machine(jitter: jitter)
        var delays: [Int] = []
        _ = machine.start(at: now)
        for _ in expectedMilliseconds {
            let started = now
            _ = machine.connectFailed("Connection refused", at: now)
            guard case .waitingToReconnect(let until) = machine.phase else {
                Issue.record("not waiting to reconnect: \(machine.phase)")
                return
            }
            delays.append(Int(until.nanoseconds(since: started) / 1_000_000))
            clock.advance(by: .nanoseconds(Int64(until.nanoseconds(since: started))))
            _ = machine.timerFired(at: now, oldestCommandDeadline: nil)
        }
        #expect(delays == expectedMilliseconds)
        _ = machine.connected(at: now)
        _ = machine.handshakeReplied(.map([]), at: now)
        #expect(machine.consecutiveFailures == 0)
    }

    /// However long the outage, the exponent is capped and the delay stays at the maximum.
    @Test func backOffSurvivesThousandsOfFailures() {
        let policy = ReconnectPolicy(baseDelay: .milliseconds(50), maxDelay: .seconds(2)) { 1 }
        #expect(policy.delay(afterFailures: 10_000) == .seconds(2))
        #expect(policy.delay(afterFailures: 0) == .milliseconds(50))
    }

    /// A link failure reported when there is no link (idle, waiting, shut down) changes nothing.
    @Test func linkFailureWithoutALinkIsIgnored() {
        var machine = Self.machine()
        #expect(machine.linkFailed(.connectionLost("x"), at: now) == [])
        _ = machine.start(at: now)
        _ = machine.connectFailed("Connection refused", at: now)
        #expect(machine.linkFailed(.connectionLost("x"), at: now) == [])
        #expect(machine.connected(at: now) == [])
        #expect(machine.handshakeReplied(.simpleString("OK"), at: now) == [])
    }

    // MARK: Shutdown

    /// From every phase, shutdown closes, publishes down, fails everything with `.shutdown` and schedules nothing;
    /// afterwards every event is ignored.
    @Test(arguments: ["idle", "resolving", "connecting", "handshaking", "up", "waitingToReconnect"])
    func shutdownFromEveryPhase(_ phase: String) {
        var machine = Self.machine(phase == "resolving" ? "redis://redis.test:6379" : "redis://127.0.0.1:6379")
        if phase != "idle" { _ = machine.start(at: now) }
        if phase == "handshaking" || phase == "up" { _ = machine.connected(at: now) }
        if phase == "up" { _ = machine.handshakeReplied(.map([]), at: now) }
        if phase == "waitingToReconnect" { _ = machine.connectFailed("Connection refused", at: now) }

        let actions = machine.shutdown()
        #expect(machine.phase == .shutDown)
        #expect(machine.status.state == .down && machine.status.lastError == "redis connection shut down")
        #expect(
            actions == [
                .closeSocket, .cancelTimer, .publish(machine.status), .failPending(sent: .shutdown, unsent: .shutdown),
                .announce(machine.status),
            ])
        #expect(machine.shutdown() == [])
        #expect(machine.start(at: now) == [])
        #expect(machine.timerFired(at: now + .seconds(60), oldestCommandDeadline: now) == [])
        #expect(machine.resolved([Self.first], attempt: 1, at: now) == [])
        #expect(machine.linkFailed(.timeout, at: now) == [])
    }

    static func text(_ arguments: [RESPArgument]) -> [String] {
        var bytes: [UInt8] = []
        RESPEncoder.appendCommand(arguments, to: &bytes)
        var decoder = RESPDecoder()
        decoder.feed(bytes)
        guard case .array(let items)? = try? decoder.next() else { return [] }
        return items.map { item in
            guard case .bulkString(let bytes) = item else { return "?" }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
