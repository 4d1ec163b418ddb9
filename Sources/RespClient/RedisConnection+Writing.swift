import Glibc
import Reactor

// The write side of `RedisConnection`: taking the outbox and sending it, one write per tick (see the type's comment).
extension RedisConnection {
    // MARK: Writing

    func requestFlush() {
        guard !flushQueued else { return }
        flushQueued = true
        loop.requestFlush(self)
    }

    public func flush() {
        flushQueued = false
        takeOutbox()
        write()
    }

    /// Moves everything submitted since the last tick into the FIFO and the output buffer in one lock hold.
    ///
    /// Usually the previous write went out whole and `out` is empty: the two buffers swap, so the outbox's bytes
    /// become the write without a copy and the producers get `out`'s capacity back. Only when Redis left bytes
    /// unread are the new commands copied behind them.
    func takeOutbox() {
        let signalledAt = shared.withLock { shared -> MonotonicInstant? in
            defer { shared.signalledAt = nil }
            if out.isEmpty {
                swap(&shared.outbox, &out)
            } else {
                out.append(contentsOf: shared.outbox)
                shared.outbox.removeAll(keepingCapacity: true)
            }
            swap(&shared.outboxTargets, &takenTargets)
            shared.wakeupPending = false
            return shared.signalledAt
        }
        if let signalledAt, let onSubmissionWaited {
            let now = SystemClock().now()
            onSubmissionWaited(now.nanoseconds(since: signalledAt), now)
        }
        guard !takenTargets.isEmpty else { return }
        let deadline = loop.now + configuration.commandTimeout
        for target in takenTargets {
            fifo.append(Pending(target: target, deadline: deadline, sentAt: loop.now))
        }
        onBatchWritten?(takenTargets.count)
        takenTargets.removeAll(keepingCapacity: true)
        if timer == nil { armTimer() }
    }

    /// One send of everything buffered; leftovers wait for EPOLLOUT.
    func write() {
        guard fd >= 0, phase == .up || phase == .handshaking, outOffset < out.count else { return }
        let result: IOResult<Int>
        do {
            result = try out.withUnsafeBytes { try Posix.send(fd, UnsafeRawBufferPointer(rebasing: $0[outOffset...])) }
        } catch {
            fail(with: .connectionLost("\(error)"))
            return
        }
        if case .processed(let written) = result {
            outOffset += written
        }
        if outOffset == out.count {
            // A burst can grow the buffer to megabytes; keep it only up to what a busy tick needs.
            if out.capacity > 256 * 1024 { out = [] } else { out.removeAll(keepingCapacity: true) }
            outOffset = 0
        }
        if let registration {
            try? loop.modify(registration, interest: outOffset < out.count ? [.readable, .writable] : .readable)
        }
    }
}
