import Reactor

/// One admitted POST /telemetry on its way from the reactor to a consumer thread.
struct IngestJob: Sendable {
    let body: [UInt8]
    let responder: GatewayResponder
    /// Events reserved in `Admission` for this request (from the reactor's prescan); released when answered.
    var admittedEvents: Int
    /// Wall-clock receipt time, stored with each event as `received_at`.
    let receivedAtMilliseconds: Int64
    /// Media type and content coding, read from the head (see `BodyFormat`).
    var format = BodyFormat.json
}

/// Collects jobs during a reactor tick and hands them to the consumers in one lock hold at the end of the tick, so
/// the reactor pays at most one wake-up per tick however many requests it parsed.
final class IngestDispatcher: FlushHandler {
    private let loop: EventLoop
    private let queue: WorkQueue<IngestJob>
    private let metrics: GatewayMetrics
    // Loop-thread state; dynamic exclusivity checks are off for it.
    @exclusivity(unchecked) private var collected: [IngestJob] = []
    @exclusivity(unchecked) private var flushQueued = false

    init(loop: EventLoop, queue: WorkQueue<IngestJob>, metrics: GatewayMetrics) {
        self.loop = loop
        self.queue = queue
        self.metrics = metrics
    }

    func enqueue(_ job: IngestJob) {
        collected.append(job)
        metrics.queueDepth.add(job.admittedEvents)
        if !flushQueued {
            flushQueued = true
            loop.requestFlush(self)
        }
    }

    func flush() {
        flushQueued = false
        queue.push(contentsOf: collected)
        collected.removeAll(keepingCapacity: true)
        // A consumer answers with Redis commands within tens of microseconds; catch them without sleeping.
        loop.keepPolling(for: Self.pollAfterHandOff)
    }

    static let pollAfterHandOff: Duration = .microseconds(150)
}
