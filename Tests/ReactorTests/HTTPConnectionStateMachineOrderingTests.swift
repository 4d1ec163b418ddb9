import Testing

@testable import Reactor

/// The state machine's ordering, closing-request and draining transitions (the fixtures are in
/// HTTPConnectionStateMachineTests.swift).
extension HTTPConnectionStateMachineTests {
    // MARK: Ordering and closing requests

    /// `firstByteAt` is when the request's first byte was read, not when its head completed; bytes read while part
    /// of it is buffered, or while a body arrives, do not move it.
    @Test func firstByteOfEachRequestIsRecorded() {
        var machine = Machine(acceptedAt: clock.now())
        let first = clock.now()
        machine.bytesRead(at: first, nothingBuffered: true)
        clock.advance(by: .milliseconds(5))
        machine.bytesRead(at: clock.now(), nothingBuffered: false)
        _ = machine.headReceived(Self.post, at: clock.now())
        machine.bytesRead(at: clock.now(), nothingBuffered: true)
        #expect(machine.requestFirstByteAt == first)
        _ = machine.requestEnded(Self.post, isDraining: false)
        clock.advance(by: .milliseconds(5))
        machine.bytesRead(at: clock.now(), nothingBuffered: true)
        #expect(machine.requestFirstByteAt == clock.now())
    }

    /// Responses completing out of order leave in request order; duplicates and unknown sequences are dropped.
    @Test func pipelinedResponsesLeaveInOrder() {
        var machine = Machine(acceptedAt: clock.now())
        let sequences = (0..<3).map { _ in
            _ = machine.headReceived(Self.get, at: clock.now())
            return machine.requestEnded(Self.get, isDraining: false)
        }
        #expect(sequences == [0, 1, 2])
        let ready = machine.responseCompleted(2, Self.response(202))
        #expect(ready == false)
        let ready2 = machine.responseCompleted(1, Self.response(201))
        #expect(ready2 == false)
        let ready3 = machine.responseCompleted(1, Self.response(500))
        #expect(ready3 == false)
        let ready4 = machine.responseCompleted(7, Self.response(500))
        #expect(ready4 == false)
        let next = machine.nextResponseToSerialize(isDraining: false)
        #expect(next == nil)
        let ready5 = machine.responseCompleted(0, Self.response(200))
        #expect(ready5)
        #expect(Self.serialize(&machine, at: clock.now()).map(\.status) == [200, 201, 202])
        #expect(machine.owedCount == 0)
        let ready6 = machine.responseCompleted(0, Self.response(500))
        #expect(ready6 == false)
    }

    /// `Connection: close` and HTTP/1.0 without keep-alive end input at the request; the response says close.
    @Test(arguments: [Self.getClose, Self.get10])
    func closingRequestEndsInput(request: HTTPRequestHead) {
        var machine = Machine(acceptedAt: clock.now())
        _ = machine.headReceived(request, at: clock.now())
        let sequence = machine.requestEnded(request, isDraining: false)
        #expect(!machine.acceptsRequests)
        let ready = machine.responseCompleted(sequence, Self.response(200))
        #expect(ready)
        let sent = Self.serialize(&machine, at: clock.now())
        #expect(sent.first?.framing.keepAlive == false)
        #expect(sent.first?.framing.http10 == (request.version == .http1_0))
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .close)
    }

    /// A handler's closing response abandons the requests pipelined behind it.
    @Test func closingResponseAbandonsLaterRequests() {
        var (machine, first) = machineOwingOne()
        _ = machine.headReceived(Self.get, at: clock.now())
        let second = machine.requestEnded(Self.get, isDraining: false)
        let ready = machine.responseCompleted(second, Self.response(200))
        #expect(ready == false)
        let ready2 = machine.responseCompleted(first, Self.response(503, closing: true))
        #expect(ready2)
        #expect(Self.serialize(&machine, at: clock.now()).map(\.status) == [503])
        #expect(machine.owedCount == 0)
        #expect(machine.phase == .finishing(thenLinger: false))
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .close)
    }

    /// `100 Continue` for a head that arrives while earlier responses are owed goes out right after them, not before.
    @Test func continueOwedBehindEarlierResponses() {
        var (machine, first) = machineOwingOne()
        let headAction = machine.headReceived(Self.postExpecting, at: clock.now())
        #expect(headAction == .readBody)
        #expect(machine.phase == .reading(.body(since: clock.now(), continueOwed: true)))
        let ready = machine.responseCompleted(first, Self.response(200))
        #expect(ready)
        let next = machine.nextResponseToSerialize(isDraining: false)
        #expect(next?.0.status == 200)
        let next2 = machine.nextResponseToSerialize(isDraining: false)
        #expect(next2 == nil)
        let continueNow = machine.responsesSerialized(at: clock.now())
        #expect(continueNow)
        #expect(machine.phase == .reading(.body(since: clock.now(), continueOwed: false)))

        var fresh = Machine(acceptedAt: clock.now())
        let freshHeadAction = fresh.headReceived(Self.postExpecting, at: clock.now())
        #expect(freshHeadAction == .sendContinueAndReadBody)
    }

    // MARK: Draining

    /// Draining closes an idle connection at once.
    @Test func drainClosesIdleConnection() {
        var machine = Machine(acceptedAt: clock.now())
        let afterDrain = machine.drainRequested(unsentBytes: 0)
        #expect(afterDrain == .close)
        let closed = machine.close()
        #expect(closed)
        let closed2 = machine.close()
        #expect(!closed2)
        #expect(machine.isClosed)
    }

    /// A connection lingering after a refusal has nothing more to send: draining closes it at once.
    @Test func drainClosesLingeringConnection() {
        var machine = Machine(acceptedAt: clock.now())
        _ = machine.requestRejected(midRequest: true)
        let ready = machine.responseCompleted(0, Self.response(400))
        #expect(ready)
        _ = Self.serialize(&machine, at: clock.now())
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .startLingering)
        let afterDrain = machine.drainRequested(unsentBytes: 0)
        #expect(afterDrain == .close)
    }

    /// A busy connection finishes: owed responses go out, the last one announcing the close.
    @Test func drainFinishesOwedResponsesLastOneCloses() {
        var (machine, first) = machineOwingOne()
        _ = machine.headReceived(Self.get, at: clock.now())
        let second = machine.requestEnded(Self.get, isDraining: false)
        let afterDrain = machine.drainRequested(unsentBytes: 0)
        #expect(afterDrain == .proceed)
        #expect(!machine.isReading)
        let ready = machine.responseCompleted(first, Self.response(200))
        #expect(ready)
        let ready2 = machine.responseCompleted(second, Self.response(201))
        #expect(ready2 == false)
        let sent = Self.serialize(&machine, at: clock.now(), isDraining: true)
        #expect(sent.map(\.framing.keepAlive) == [true, false])
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .close)
    }

    /// A body in progress when the drain starts is read to its end; its response closes the connection.
    @Test func drainLetsBodyInProgressFinish() {
        var machine = Machine(acceptedAt: clock.now())
        _ = machine.headReceived(Self.post, at: clock.now())
        let afterDrain = machine.drainRequested(unsentBytes: 0)
        #expect(afterDrain == .proceed)
        #expect(machine.isReading)
        let sequence = machine.requestEnded(Self.post, isDraining: true)
        #expect(!machine.acceptsRequests)
        let ready = machine.responseCompleted(sequence, Self.response(200))
        #expect(ready)
        #expect(Self.serialize(&machine, at: clock.now(), isDraining: true).map(\.framing.keepAlive) == [false])
        let afterOutput = machine.outputDrained(at: clock.now())
        #expect(afterOutput == .close)
    }
}
