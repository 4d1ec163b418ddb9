import Glibc
import Reactor
import Synchronization

/// The command path of a `RedisConnection`: a locked outbox that any thread appends encoded commands to, the FIFO
/// of reply targets for commands written, the output buffer, and the decoder that turns the socket's bytes into the
/// replies matched against that FIFO. It knows nothing about the link's phase: the connection tells it what to do
/// and hands it the socket to write to.
///
/// ### Threads
/// `submit` runs on any thread and touches only `shared` (under its lock) and `inFlight` (an atomic). Everything
/// else belongs to the loop thread. Only the submission that finds the outbox without a pending wake-up asks for a
/// flush; at the end of the loop's tick the whole outbox is taken in one lock hold, so however many threads submit,
/// Redis sees large pipelined writes and the loop pays one `send` per tick, not per command.
final class RedisPipeline: @unchecked Sendable {
    enum Target {
        case user(any RedisReplyHandler, tag: Int)
        /// A handshake command: its reply goes to the state machine.
        case handshake
    }

    struct Pending {
        var target: Target
        var deadline: MonotonicInstant
        /// The tick in which the command was written (for `onRoundTrip`).
        var sentAt: MonotonicInstant
    }

    /// State shared with submitting threads.
    struct Shared {
        var outbox: [UInt8] = []
        var outboxTargets: [Target] = []
        var wakeupPending = false
        /// When a submission from another thread flipped `wakeupPending` (for `onSubmissionWaited`).
        var signalledAt: MonotonicInstant?
        /// The link's status as the state machine last published it; commands are accepted exactly while it is up.
        var status = RedisStatus()
    }

    /// What reading replies came to.
    enum Delivery {
        /// Every complete reply was delivered; the rest awaits more bytes.
        case drained
        /// The reply to the oldest handshake command: the state machine decides what follows.
        case handshakeReply(RESPValue)
        /// Bytes that are not RESP, or a reply with no command waiting: the link cannot be trusted any more.
        case violation(String)
    }

    /// A burst can grow the output buffer to megabytes; once written, it is kept only up to this size, which a busy
    /// tick's worth of commands fits in (about a thousand 200-byte XADDs), so steady load reuses it and an idle
    /// connection does not hold a burst's memory.
    static let retainedOutputCapacity = 256 * 1024

    let shared = Mutex(Shared())
    let inFlight = Atomic<Int>(0)
    let maxCommandsInFlight: Int
    private let decoderLimits: RESPDecoderLimits

    // Loop-thread state: touched only on the loop thread and never in overlapping accesses, so dynamic exclusivity
    // checks are off for it (callgrind counted ~2% of the request path in swift_beginAccess).
    @exclusivity(unchecked) private var fifo = FIFO<Pending>()
    @exclusivity(unchecked) private var out: [UInt8] = []
    @exclusivity(unchecked) private var outOffset = 0
    @exclusivity(unchecked) private var takenTargets: [Target] = []
    @exclusivity(unchecked) private var decoder: RESPDecoder

    init(maxCommandsInFlight: Int, decoderLimits: RESPDecoderLimits) {
        self.maxCommandsInFlight = maxCommandsInFlight
        self.decoderLimits = decoderLimits
        decoder = RESPDecoder(limits: decoderLimits)
    }

    // MARK: Any thread

    var status: RedisStatus { shared.withLock { $0.status } }

    /// Appends `commandCount` encoded commands and their targets to the outbox; returns true when the caller must
    /// schedule a flush (no wake-up was pending). Throws, having queued nothing, when the status is not up
    /// (`.notConnected`) or the in-flight cap would be exceeded (`.overloaded`).
    func submit(
        encoded bytes: UnsafeRawBufferPointer, commandCount: Int, handler: any RedisReplyHandler,
        submittedAt: MonotonicInstant?
    ) throws(RedisError) -> Bool {
        let before = inFlight.add(commandCount, ordering: .relaxed).oldValue
        if before + commandCount > maxCommandsInFlight {
            inFlight.subtract(commandCount, ordering: .relaxed)
            throw .overloaded
        }
        enum Outcome {
            case queued(signal: Bool)
            case down(String)
        }
        let outcome = shared.withLock { shared -> Outcome in
            guard shared.status.state == .up else {
                return .down(shared.status.lastError ?? shared.status.state.rawValue)
            }
            shared.outbox.append(contentsOf: bytes)
            for tag in 0..<commandCount {
                shared.outboxTargets.append(.user(handler, tag: tag))
            }
            if shared.wakeupPending { return .queued(signal: false) }
            shared.wakeupPending = true
            shared.signalledAt = submittedAt
            return .queued(signal: true)
        }
        switch outcome {
        case .down(let reason):
            inFlight.subtract(commandCount, ordering: .relaxed)
            throw .notConnected(reason)
        case .queued(let signal):
            return signal
        }
    }

    // MARK: Loop thread

    func publish(_ status: RedisStatus) {
        shared.withLock { $0.status = status }
    }

    /// Moves everything submitted since the last tick into the FIFO and the output buffer in one lock hold; returns
    /// how many commands it took and when the submission that asked for this flush was made (nil from the loop).
    ///
    /// Usually the previous write went out whole and `out` is empty: the two buffers swap, so the outbox's bytes
    /// become the write without a copy and the producers get `out`'s capacity back. Only when Redis left bytes
    /// unread are the new commands copied behind them.
    func takeOutbox(
        now: MonotonicInstant, deadline: MonotonicInstant
    )
        -> (commands: Int, signalledAt: MonotonicInstant?)
    {
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
        let commands = takenTargets.count
        for target in takenTargets {
            fifo.append(Pending(target: target, deadline: deadline, sentAt: now))
        }
        takenTargets.removeAll(keepingCapacity: true)
        return (commands, signalledAt)
    }

    /// Queues a handshake command behind whatever is buffered (nothing: user commands wait for the link to be up).
    func appendHandshake(_ arguments: [RESPArgument], now: MonotonicInstant, deadline: MonotonicInstant) {
        RESPEncoder.appendCommand(arguments, to: &out)
        fifo.append(Pending(target: .handshake, deadline: deadline, sentAt: now))
    }

    /// The deadline of the oldest command awaiting its reply.
    var oldestDeadline: MonotonicInstant? { fifo.first?.deadline }

    var hasUnsentBytes: Bool { outOffset < out.count }

    /// One `send` of everything buffered; returns true when bytes are left for EPOLLOUT.
    func send(to fd: Int32) throws -> Bool {
        guard outOffset < out.count else { return false }
        let offset = outOffset
        let result = try out.withUnsafeBytes { try Posix.send(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        if case .processed(let written) = result {
            outOffset += written
        }
        if outOffset == out.count {
            if out.capacity > Self.retainedOutputCapacity { out = [] } else { out.removeAll(keepingCapacity: true) }
            outOffset = 0
            return false
        }
        return true
    }

    func feed(_ bytes: UnsafeRawBufferPointer) {
        decoder.feed(bytes)
    }

    /// Answers user commands with the complete replies buffered, in order, until a handshake reply, a violation, or
    /// no complete reply is left. `onRoundTrip` sees the oldest user command answered in this call.
    func deliverReplies(now: MonotonicInstant, onRoundTrip: ((UInt64, MonotonicInstant) -> Void)?) -> Delivery {
        var roundTripObserved = onRoundTrip == nil
        while true {
            let reply: RESPValue
            do {
                guard let next = try decoder.next() else { return .drained }
                reply = next
            } catch {
                return .violation("protocol error: \(error)")
            }
            var value = reply
            if case .attributed(_, let inner) = value { value = inner }
            if case .push = value { continue }  // out-of-band RESP3 pushes answer no command
            guard let pending = fifo.popFirst() else {
                return .violation("protocol error: a reply arrived with no command waiting")
            }
            switch pending.target {
            case .handshake:
                return .handshakeReply(value)
            case .user(let handler, let tag):
                inFlight.subtract(1, ordering: .relaxed)
                if !roundTripObserved {
                    roundTripObserved = true
                    onRoundTrip?(now.nanoseconds(since: pending.sentAt), now)
                }
                if case .error(let message) = value {
                    handler.redisReplied(.failure(.server(RedisServerError(message))), tag: tag)
                } else {
                    handler.redisReplied(.success(value), tag: tag)
                }
            }
        }
    }

    /// Forgets the unsent bytes and any partial reply of a link that closed. The FIFO stays for `failAll`.
    func resetLink() {
        decoder = RESPDecoder(limits: decoderLimits)
        out = []
        outOffset = 0
    }

    /// Answers every command written and not answered with `sent`, then every command still in the outbox with
    /// `unsent`. Call after the status stopped accepting, so nothing can slip into the outbox behind this.
    func failAll(sent: RedisError, unsent: RedisError) {
        let queued = shared.withLock { shared -> [Target] in
            shared.wakeupPending = false
            shared.outbox = []
            defer { shared.outboxTargets = [] }
            return shared.outboxTargets
        }
        fifo.drain { pending in fail(pending.target, with: sent) }
        for target in queued { fail(target, with: unsent) }
    }

    private func fail(_ target: Target, with error: RedisError) {
        guard case .user(let handler, let tag) = target else { return }
        inFlight.subtract(1, ordering: .relaxed)
        handler.redisReplied(.failure(error), tag: tag)
    }
}
