import Testing

@testable import Reactor

/// `HTTPConnectionStateMachine` driven without sockets: every deadline, back-pressure cap, half-close, ordering and
/// drain transition, with a manual clock. The socket tests (`Server*Tests`) check the same behaviour end to end.
@Suite struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine
    static let limits = Machine.Limits(HTTPServerConfiguration())
    let clock = ManualClock()
    var limits: Machine.Limits { Self.limits }

    /// A head as the parser produces it from `text`.
    static func head(_ text: String) -> HTTPRequestHead {
        var parser = HTTPRequestParser()
        let result = Array(text.utf8).withUnsafeBytes { parser.parse($0) }
        guard case .head(let head, _) = result else { fatalError("not a complete head: \(text)") }
        return head
    }

    static let get = head("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    static let getClose = head("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    static let get10 = head("GET / HTTP/1.0\r\n\r\n")
    static let post = head("POST /telemetry HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n")
    static let postExpecting = head(
        "POST /telemetry HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")

    static func response(_ status: Int, closing: Bool = false) -> HTTPResponse {
        HTTPResponse(status: status, closeConnection: closing)
    }

    /// A connection that has read one whole keep-alive request: its response is owed as sequence 0.
    func machineOwingOne() -> (Machine, UInt64) {
        var machine = Machine(acceptedAt: clock.now())
        let headAction = machine.headReceived(Self.get, at: clock.now())
        #expect(headAction == .readBody)
        let sequence = machine.requestEnded(Self.get, isDraining: false)
        return (machine, sequence)
    }

    /// Serializes whatever is ready, as the shell does, and returns the statuses with their framing.
    static func serialize(
        _ machine: inout Machine, at now: MonotonicInstant, isDraining: Bool = false
    )
        -> [(status: Int, framing: ResponseEncoder.Framing)]
    {
        var sent: [(status: Int, framing: ResponseEncoder.Framing)] = []
        while let (response, framing) = machine.nextResponseToSerialize(isDraining: isDraining) {
            sent.append((response.status, framing))
        }
        _ = machine.responsesSerialized(at: now)
        return sent
    }

    // MARK: Deadlines

    /// A new connection owes a head within the header timeout from accept: before it the timer re-arms, at it the
    /// request is refused with a 408 and the connection closes after it without lingering (nothing was sent).
    @Test func headerTimeoutFromAccept() {
        var machine = Machine(acceptedAt: clock.now())
        let deadline = clock.now() + limits.headerTimeout
        #expect(machine.deadline(limits) == deadline)
        clock.advance(by: limits.headerTimeout - .milliseconds(1))
        let fired = machine.timerFired(at: clock.now(), hasBufferedBytes: false, limits)
        #expect(fired == .rearm)
        clock.advance(by: .milliseconds(1))
        let fired2 = machine.timerFired(at: clock.now(), hasBufferedBytes: false, limits)
        #expect(fired2 == .reject(.header, sequence: 0))
        #expect(machine.phase == .finishing(thenLinger: false))
        #expect(!machine.isReading)
    }

    /// Part of a head buffered between requests starts the header clock then; a timeout with it buffered lingers.
    @Test func headerTimeoutForPartialHeadLingers() {
        var (machine, sequence) = machineOwingOne()
        let ready = machine.responseCompleted(sequence, Self.response(200))
        #expect(ready)
        _ = Self.serialize(&machine, at: clock.now())
        clock.advance(by: .seconds(5))
        machine.partialRequestBuffered(at: clock.now())
        #expect(machine.phase == .reading(.head(since: clock.now())))
        #expect(machine.deadline(limits) == clock.now() + limits.headerTimeout)
        clock.advance(by: limits.headerTimeout)
        let fired = machine.timerFired(at: clock.now(), hasBufferedBytes: true, limits)
        #expect(fired == .reject(.header, sequence: 1))
        #expect(machine.phase == .finishing(thenLinger: true))
    }

    /// The body timeout counts from the head; a body that does not arrive is refused mid-request, so it lingers.
    @Test func bodyTimeoutFromHead() {
        var machine = Machine(acceptedAt: clock.now())
        clock.advance(by: .seconds(1))
        let headAction = machine.headReceived(Self.post, at: clock.now())
        #expect(headAction == .readBody)
        #expect(machine.deadline(limits) == clock.now() + limits.bodyTimeout)
        clock.advance(by: limits.bodyTimeout)
        let fired = machine.timerFired(at: clock.now(), hasBufferedBytes: false, limits)
        #expect(fired == .reject(.body, sequence: 0))
        #expect(machine.phase == .finishing(thenLinger: true))
    }

    /// While the handler has the request there is no deadline; once its response is serialized, the idle timeout
    /// counts from then and closes quietly.
    @Test func idleTimeoutAfterLastResponse() {
        var (machine, sequence) = machineOwingOne()
        #expect(machine.deadline(limits) == nil)
        let fired = machine.timerFired(at: clock.now() + .seconds(3600), hasBufferedBytes: false, limits)
        #expect(fired == .none)
        clock.advance(by: .seconds(2))
        let ready = machine.responseCompleted(sequence, Self.response(200))
        #expect(ready)
        #expect(Self.serialize(&machine, at: clock.now()).map(\.status) == [200])
        #expect(machine.deadline(limits) == clock.now() + limits.idleTimeout)
        clock.advance(by: limits.idleTimeout)
        let fired2 = machine.timerFired(at: clock.now(), hasBufferedBytes: false, limits)
        #expect(fired2 == .close(.idle))
    }

    /// A short send arms EPOLLOUT and the send timeout; progress moves the deadline later, a send that takes
    /// nothing does not, and the whole output written returns to the phase's own deadline.
    @Test func sendTimeoutCountsFromLastProgress() {
        var (machine, _) = machineOwingOne()
        let resumed = machine.wrote(100, unsent: 500, at: clock.now(), limits)
        #expect(!resumed)
        #expect(machine.awaitingWritable)
        let firstDeadline = clock.now() + limits.sendTimeout
        #expect(machine.deadline(limits) == firstDeadline)
        clock.advance(by: .seconds(10))
        _ = machine.wrote(0, unsent: 500, at: clock.now(), limits)
        #expect(machine.deadline(limits) == firstDeadline)
        _ = machine.wrote(100, unsent: 400, at: clock.now(), limits)
        #expect(machine.deadline(limits) == clock.now() + limits.sendTimeout)
        clock.advance(by: limits.sendTimeout)
        let fired = machine.timerFired(at: clock.now(), hasBufferedBytes: false, limits)
        #expect(fired == .close(.send))
        _ = machine.wrote(400, unsent: 0, at: clock.now(), limits)
        #expect(!machine.awaitingWritable)
        #expect(machine.deadline(limits) == nil)
    }

    /// A refusal before the body: the answer takes its place in order, and once it is written the connection
    /// lingers (reading and discarding) for at most `lingerLimit`.
    @Test func refusalBeforeBodyLingers() {
        var machine = Machine(acceptedAt: clock.now())
        let early = machine.headAnsweredEarly(Self.postExpecting, at: clock.now())
        #expect(early == .refuse(sequence: 0))
        #expect(!machine.acceptsRequests)
        let ready = machine.responseCompleted(0, Self.response(413))
        #expect(ready)
        let sent = Self.serialize(&machine, at: clock.now())
        #expect(sent.map(\.status) == [413])
        #expect(sent.first?.framing == .init(keepAlive: false, http10: false, isHead: false))
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .startLingering)
        #expect(machine.isReading)
        #expect(machine.deadline(limits) == clock.now() + Machine.lingerLimit)
        clock.advance(by: Machine.lingerLimit)
        let fired = machine.timerFired(at: clock.now(), hasBufferedBytes: false, limits)
        #expect(fired == .close(.linger))
    }

    /// A bodiless request answered early keeps the answer until the request ends, on a connection that stays open.
    @Test func earlyAnswerWithoutBodyWaitsForTheEnd() {
        var machine = Machine(acceptedAt: clock.now())
        let early = machine.headAnsweredEarly(Self.get, at: clock.now())
        #expect(early == .holdUntilEnd)
        let sequence = machine.requestEnded(Self.get, isDraining: false)
        #expect(sequence == 0)
        #expect(machine.acceptsRequests)
    }

    /// A framing error mid-request: answered after the responses owed before it, then lingering.
    @Test func framingErrorAnsweredInOrderThenLingers() {
        var (machine, first) = machineOwingOne()
        let refusal = machine.requestRejected(midRequest: true)
        let ready = machine.responseCompleted(refusal, Self.response(400))
        #expect(ready == false)
        let ready2 = machine.responseCompleted(first, Self.response(200))
        #expect(ready2)
        #expect(Self.serialize(&machine, at: clock.now()).map(\.status) == [200, 400])
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .startLingering)
    }

    // MARK: Back-pressure

    /// With `maxPipelinedRequests` responses owed the next request is not parsed and reading pauses; one answer
    /// brings it back under the cap and reading resumes.
    @Test func pipelineCapPausesAndResumes() {
        var machine = Machine(acceptedAt: clock.now())
        for _ in 0..<limits.maxPipelinedRequests {
            let mayParse = machine.mayParseNextRequest(unsentBytes: 0, limits)
            #expect(mayParse)
            _ = machine.headReceived(Self.get, at: clock.now())
            _ = machine.requestEnded(Self.get, isDraining: false)
        }
        let mayParse2 = machine.mayParseNextRequest(unsentBytes: 0, limits)
        #expect(!mayParse2)
        #expect(machine.readingPaused && !machine.isReading)
        // Bytes held back while paused wait on us: no header clock.
        machine.partialRequestBuffered(at: clock.now())
        #expect(machine.phase == .reading(.none))
        #expect(machine.deadline(limits) == nil)
        let ready = machine.responseCompleted(0, Self.response(200))
        #expect(ready)
        _ = Self.serialize(&machine, at: clock.now())
        let resumed = machine.resumeIfBelowLimits(unsentBytes: 0, limits)
        #expect(resumed)
        #expect(machine.isReading)
    }

    /// 1 MiB of unsent output pauses reading, whether found before parsing or left by a send; writing it all
    /// resumes reading. A body in progress is not cut off by the check before parsing.
    @Test func outputCapPausesAndResumes() {
        let cap = limits.maxBufferedOutputBytes
        var machine = Machine(acceptedAt: clock.now())
        let mayParse = machine.mayParseNextRequest(unsentBytes: cap - 1, limits)
        #expect(mayParse)
        let mayParse2 = machine.mayParseNextRequest(unsentBytes: cap, limits)
        #expect(!mayParse2)
        #expect(machine.readingPaused)
        let resumed = machine.resumeIfBelowLimits(unsentBytes: cap, limits)
        #expect(!resumed)
        let resumed2 = machine.wrote(cap, unsent: 0, at: clock.now(), limits)
        #expect(resumed2)
        #expect(!machine.readingPaused)
        _ = machine.headReceived(Self.post, at: clock.now())
        let mayParse3 = machine.mayParseNextRequest(unsentBytes: cap * 2, limits)
        #expect(mayParse3)
        let resumed3 = machine.wrote(10, unsent: cap, at: clock.now(), limits)
        #expect(!resumed3)
        #expect(machine.readingPaused && !machine.isParsing)
        #expect(machine.phase == .reading(.body(since: clock.now(), continueOwed: false)))
    }

    // MARK: Half-close

    /// EOF with responses owed: they are written, then the connection closes (without lingering: the client has
    /// finished). EOF with nothing owed, or in the middle of a body, closes at once.
    @Test func halfCloseFinishesOwedResponses() {
        var (machine, sequence) = machineOwingOne()
        let afterEOF = machine.peerClosed(unsentBytes: 0)
        #expect(afterEOF == .proceed)
        #expect(!machine.isReading)
        let ready = machine.responseCompleted(sequence, Self.response(200))
        #expect(ready)
        #expect(Self.serialize(&machine, at: clock.now()).map(\.status) == [200])
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .close)

        var idle = Machine(acceptedAt: clock.now())
        let idleAfterEOF = idle.peerClosed(unsentBytes: 0)
        #expect(idleAfterEOF == .close)
        var unsent = Machine(acceptedAt: clock.now())
        let unsentAfterEOF = unsent.peerClosed(unsentBytes: 10)
        #expect(unsentAfterEOF == .proceed)
        let unsentAfterOutput = unsent.outputDrained(at: clock.now())
        #expect(unsentAfterOutput == .close)
        var midBody = machineOwingOne().0
        _ = midBody.headReceived(Self.post, at: clock.now())
        let midBodyAfterEOF = midBody.peerClosed(unsentBytes: 0)
        #expect(midBodyAfterEOF == .close)
    }

    /// EOF after part of a head, with a response owed: the partial request can never complete, so no header clock
    /// runs for it any more and no 408 follows the owed response.
    @Test func halfCloseMidHeadDropsThePartialRequest() {
        var (machine, sequence) = machineOwingOne()
        machine.partialRequestBuffered(at: clock.now())
        let afterEOF = machine.peerClosed(unsentBytes: 0)
        #expect(afterEOF == .proceed)
        #expect(machine.deadline(limits) == nil)
        let ready = machine.responseCompleted(sequence, Self.response(200))
        #expect(ready)
        #expect(Self.serialize(&machine, at: clock.now()).map(\.status) == [200])
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .close)
    }
}
