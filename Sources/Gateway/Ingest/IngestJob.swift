import Reactor

/// One admitted POST /telemetry on its way from the reactor to a consumer.
struct IngestJob: Sendable {
    let body: [UInt8]
    let responder: GatewayResponder
    /// Events reserved in `Admission` for this request (from the reactor's prescan); released when answered.
    var admittedEvents: Int
    /// Wall-clock receipt time, stored with each event as `received_at`.
    let receivedAtMilliseconds: Int64
    /// When the reactor admitted it; the consumer measures its wait from here.
    let admittedAt: MonotonicInstant
    /// Media type and content coding, read from the head (see `BodyFormat`).
    var format = BodyFormat.json
}

/// Decides where each admitted request is processed: inline on the loop thread, or on a consumer thread.
///
/// ### Why small requests stay on the loop thread
/// Handing a request to a consumer costs two thread wake-ups (the consumer's futex, then the loop's eventfd when the
/// consumer submits to Redis) and puts four schedulable entities on the request's path: reactor, consumer, reactor,
/// Redis, reactor. Decoding a typical event costs about a microsecond. On a box whose cores are busy (the load
/// generator shares them), every wake-up can wait for a CPU, so the hops, not the work, set the latency; at light
/// load they also set the CPU cost per request. Small bodies are therefore processed right here, up to
/// `inlineBytesPerTick` of body per tick, and only what exceeds that budget, or is too big to be cheap
/// (`inlineMaxBodyBytes`), goes to the consumers, whose threads then add parallelism where there is real work.
///
/// ### Handing off
/// Jobs for the consumers are collected during the tick and handed over in one lock hold at its end, so the loop
/// pays at most one wake-up per tick however many requests it parsed.
final class IngestDispatcher: FlushHandler {
    /// Bodies up to this size may be processed inline: a few events, a few microseconds.
    static let inlineMaxBodyBytes = 4 * 1024
    /// Body bytes processed inline per tick (about 300 typical events, ~300 µs): bounds how long inline work can
    /// hold up the rest of a tick before the consumers take over. Generous on purpose: after the reactor was
    /// descheduled, the requests that piled up arrive in one tick, and handing them to consumers then would add
    /// two more threads that must win a CPU before any of them is answered.
    static let inlineBytesPerTick = 64 * 1024

    private let loop: EventLoop
    private let queue: WorkQueue<IngestJob>
    private let metrics: GatewayMetrics
    private let inline: Consumer
    // Loop-thread state; dynamic exclusivity checks are off for it.
    @exclusivity(unchecked) private var collected: [IngestJob] = []
    @exclusivity(unchecked) private var flushQueued = false
    @exclusivity(unchecked) private var budgetTick: UInt64 = 0
    @exclusivity(unchecked) private var inlineBytesLeft = 0

    init(loop: EventLoop, queue: WorkQueue<IngestJob>, context: IngestContext) {
        self.loop = loop
        self.queue = queue
        self.metrics = context.metrics
        self.inline = Consumer(context: context)
    }

    func enqueue(_ job: IngestJob) {
        // Compressed bodies always go to a consumer: a few KiB can inflate to megabytes.
        if job.format.coding == .identity && job.body.count <= Self.inlineMaxBodyBytes
            && takeInlineBudget(job.body.count)
        {
            metrics.jobsInline.add()
            inline.process(job)
            return
        }
        collected.append(job)
        metrics.queueDepth.add(job.admittedEvents)
        if !flushQueued {
            flushQueued = true
            loop.requestFlush(self)
        }
    }

    private func takeInlineBudget(_ bytes: Int) -> Bool {
        if budgetTick != loop.tickNumber {
            budgetTick = loop.tickNumber
            inlineBytesLeft = Self.inlineBytesPerTick
        }
        guard bytes <= inlineBytesLeft else { return false }
        inlineBytesLeft -= bytes
        return true
    }

    func flush() {
        flushQueued = false
        queue.push(contentsOf: collected)
        collected.removeAll(keepingCapacity: true)
    }
}
