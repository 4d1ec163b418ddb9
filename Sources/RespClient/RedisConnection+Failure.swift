import Glibc
import Reactor

// Timeouts, failure and reconnection of `RedisConnection`: its own file so that each stays readable. The state they
// touch is the connection's loop-thread state, internal to this module for that reason (nothing outside
// `RespClient` sees it).
extension RedisConnection {
    // MARK: Timeouts

    /// The one deadline that matters: the connect deadline while connecting, else the oldest pending command's.
    private var deadline: MonotonicInstant? {
        if let connectDeadline { return connectDeadline }
        return fifoHead < fifo.count ? fifo[fifoHead].deadline : nil
    }

    func armTimer() {
        guard let deadline else { return }
        if let armed = timerDeadline, armed <= deadline { return }
        if let timer { loop.cancelTimer(timer) }
        timerDeadline = deadline
        timer = loop.scheduleTimer(at: deadline) { [weak self] in self?.timerFired() }
    }

    func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let deadline else { return }
        if deadline > loop.now {
            armTimer()
        } else if connectDeadline != nil {
            connectionFailed("connect to \(configuration.url.host):\(configuration.url.port) timed out")
        } else {
            fail(with: .timeout, statusReason: "no reply within \(configuration.commandTimeout)")
        }
    }

    // MARK: Failure and reconnection

    /// Closes the socket and answers every pending and queued command, then schedules a reconnect.
    func fail(with error: RedisError, statusReason: String? = nil) {
        if let registration { loop.deregister(registration) }
        registration = nil
        if fd >= 0 { Posix.close(fd) }
        fd = -1
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        timerDeadline = nil
        connectDeadline = nil
        decoder = RESPDecoder(limits: configuration.decoderLimits)
        out = []
        outOffset = 0

        let reason = statusReason ?? error.description
        let queued = shared.withLock { shared -> [ReplyTarget] in
            shared.accepting = false
            shared.wakeupPending = false
            shared.status.state = .down
            shared.status.lastError = reason
            shared.outbox = []
            let targets = shared.outboxTargets
            shared.outboxTargets = []
            return targets
        }
        let sent = fifo[fifoHead...].map(\.target)
        fifo = []
        fifoHead = 0
        for target in sent {
            if case .user(let handler, let tag) = target {
                inFlight.subtract(1, ordering: .relaxed)
                handler.redisReplied(.failure(error), tag: tag)
            }
        }
        let unsent: RedisError = error == .shutdown ? .shutdown : .notConnected(reason)
        for target in queued {
            if case .user(let handler, let tag) = target {
                inFlight.subtract(1, ordering: .relaxed)
                handler.redisReplied(.failure(unsent), tag: tag)
            }
        }
        onStatusChange?(status)
        guard phase != .shutDown else { return }
        phase = .waitingToReconnect
        scheduleReconnect()
    }

    func scheduleReconnect() {
        let base = Double(configuration.reconnectBaseDelay.nanosecondsClamped)
        let cap = Double(configuration.reconnectMaxDelay.nanosecondsClamped)
        let ceiling = min(cap, base * Double(1 << min(failedAttempts, 20)))
        failedAttempts += 1
        // "Equal jitter": half the delay fixed, half random.
        let delay = ceiling / 2 + Double.random(in: 0...(ceiling / 2))
        loop.scheduleTimer(after: .nanoseconds(Int64(delay))) { [weak self] in
            guard let self, self.phase == .waitingToReconnect else { return }
            self.connect()
        }
    }

    func updateStatus(_ change: (inout RedisStatus) -> Void) {
        shared.withLock { change(&$0.status) }
    }
}
