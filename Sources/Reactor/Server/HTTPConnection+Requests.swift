/// From bytes to requests: the unparsed tail in `carry`, the parser and request state borrowed from the server's
/// pool, the parse loop, and the calls into the handler. The machine says when to pause, what to answer early, and
/// which sequence number each response takes.
extension HTTPConnection {
    func consume(_ bytes: UnsafeRawBufferPointer) {
        machine.bytesRead(at: loop.now, nothingBuffered: carry.isEmpty)
        if carry.isEmpty {
            let consumed = parse(bytes)
            if consumed < bytes.count && machine.acceptsRequests {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            carry.append(contentsOf: bytes)
            reparseCarry()
        }
        startHeadClockForBufferedBytes()
        returnInboundIfIdle()
    }

    private func startHeadClockForBufferedBytes() {
        if !carry.isEmpty { machine.partialRequestBuffered(at: loop.now) }
    }

    private func inboundRequest() -> HTTPServer.InboundRequest {
        if let inbound { return inbound }
        let borrowed = server.borrowInbound()
        inbound = borrowed
        return borrowed
    }

    func returnInboundIfIdle() {
        guard let borrowed = inbound, carry.isEmpty, borrowed.isIdle else { return }
        inbound = nil
        server.returnInbound(borrowed)
    }

    /// Parses what was held back while paused (the machine has already resumed), then reads from the socket again.
    func resumeReading() {
        reparseCarry()
        startHeadClockForBufferedBytes()
        updateInterest()
    }

    private func reparseCarry() {
        let consumed = carry.withUnsafeBytes { parse($0) }
        if !machine.acceptsRequests || consumed == carry.count {
            carry = []
        } else if consumed > 0 {
            carry.removeSubrange(0..<consumed)
        }
        returnInboundIfIdle()
    }

    /// Runs the parser over `bytes` until it needs more input, a back-pressure cap is reached, or input closes.
    /// Returns how many bytes were consumed.
    private func parse(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while machine.acceptsRequests {
            guard machine.mayParseNextRequest(unsentBytes: unsentBytes, limits) else { return offset }
            switch inboundRequest().parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .needMore(let consumed):
                return offset + consumed
            case .head(let parsed, let consumed):
                offset += consumed
                beginRequest(parsed)
            case .body(let range, let consumed):
                if inbound?.earlyResponse == nil {
                    let payload = (offset + range.lowerBound)..<(offset + range.upperBound)
                    inboundRequest().body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[payload]))
                }
                offset += consumed
            case .end(let consumed):
                offset += consumed
                finishRequest()
            case .error(let error):
                refuse(machine.requestRejected(midRequest: true), .malformedRequest(error))
                return bytes.count
            }
        }
        return offset
    }

    private func beginRequest(_ parsed: HTTPRequestHead) {
        if let response = server.handler.respondBeforeBody(to: parsed) {
            switch machine.headAnsweredEarly(parsed, at: loop.now) {
            case .holdUntilEnd:
                inboundRequest().earlyResponse = response
                inboundRequest().head = parsed
            case .refuse(let sequence):
                complete(sequence, with: response)
            }
            return
        }
        let action = machine.headReceived(parsed, at: loop.now)
        let inbound = inboundRequest()
        inbound.head = parsed
        if case .contentLength(let length) = parsed.framing {
            inbound.body.reserveCapacity(length)
        }
        if action == .sendContinueAndReadBody {
            borrowOutputBufferIfNeeded()
            out.append(staticString: ResponseEncoder.continueResponse)
            requestFlush()
        }
    }

    private func finishRequest() {
        guard let inbound, let request = inbound.head else { return }
        inbound.head = nil
        let sequence = machine.requestEnded(request, isDraining: server.isDraining)
        server.statistics.counts.requests += 1
        if let response = inbound.earlyResponse {
            inbound.earlyResponse = nil
            complete(sequence, with: response)
            return
        }
        let requestBody = inbound.body
        inbound.body = []
        server.handler.handle(
            HTTPRequest(
                head: request, body: requestBody, receivedAt: loop.now, firstByteAt: machine.requestFirstByteAt),
            responder: HTTPResponder(connection: self, sequence: sequence))
    }

    /// A request the server refuses itself, answered in `sequence` (the machine has closed input).
    func refuse(_ sequence: UInt64, _ error: HTTPServerError) {
        server.countRejection(error)
        carry = []
        inbound?.head = nil
        complete(sequence, with: server.errorResponse(for: error))
    }
}
