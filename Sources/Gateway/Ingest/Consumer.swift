import Reactor
import RespClient

/// One consumer thread's work: decode and validate a request body, encode its `XADD`s, submit them to Redis.
///
/// Each consumer owns its decoder and its encode buffer, so nothing on this path is shared or locked except the
/// Redis outbox hand-off.
final class Consumer {
    private let context: IngestContext
    private let bodies: IngestBodyDecoder
    /// Thread-confined, so dynamic exclusivity checks are off for it.
    @exclusivity(unchecked) private var commands: [UInt8] = []

    init(context: IngestContext) {
        self.context = context
        self.bodies = IngestBodyDecoder(limits: context.limits)
    }

    /// Jobs taken per lock hold: enough to amortize the lock under load, few enough that the other consumers get
    /// a share of a burst instead of one thread taking it all.
    static let jobsPerPop = 16

    /// The encode buffer is kept between requests up to this size. A request encodes to about its body plus ~100
    /// bytes of RESP framing per event, so a full default one (1 MiB, 1,000 events) needs ~1.1 MiB; a buffer grown
    /// beyond this by an outsized request (a larger `--max-body`, an inflated body) is freed, not kept per thread.
    static let retainedCommandBytes = 4 << 20

    /// Runs until the queue is closed and drained.
    func run(_ queue: WorkQueue<IngestJob>) {
        var batch: [IngestJob] = []
        while queue.popBatch(limit: Self.jobsPerPop, into: &batch) {
            for job in batch {
                let queued = context.metrics.queueDepth.add(-job.admittedEvents)
                context.stalls.handOffWaited(admittedAt: job.admittedAt, startedAt: SystemClock().now(), queued: queued)
                process(job)
            }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Decodes, validates, encodes and submits one request. Runs on a consumer thread, or inline on the loop
    /// thread for small requests (see `IngestDispatcher`).
    func process(_ job: IngestJob) {
        let started = SystemClock().now()
        let metrics = context.metrics
        defer {
            metrics.jobsProcessed.add()
            metrics.processingMicros.add(Int(SystemClock().now().nanoseconds(since: started) / 1000))
        }

        let receivedAt = RFC3339.format(epochMilliseconds: job.receivedAtMilliseconds)
        let batch: TelemetryBatch
        switch bodies.decode(job.body, format: job.format, receivedAt: receivedAt) {
        case .failure(let refusal):
            reject(job, refusal.reason, Responses.error(refusal.status, refusal.message))
            return
        case .success(let value):
            batch = value
        }
        var job = job
        guard let settled = context.admission.settle(admitted: job.admittedEvents, decoded: batch) else {
            context.metrics.countRejected(.queueFull, events: batch.events.count - job.admittedEvents)
            reject(job, .queueFull, Responses.unavailable("queue full"))
            return
        }
        job.admittedEvents = settled

        commands.removeAll(keepingCapacity: true)
        encode(batch)
        let request = IngestRequest(
            context: context, responder: job.responder, eventCount: batch.events.count,
            admittedEvents: job.admittedEvents, isBatch: batch.isArray)
        if let last = batch.events.last {
            request.holdsSampleCandidate = context.offerSample(last.data, from: request)
        }
        let submitted = commands.withUnsafeBytes { bytes in
            Result { () throws(RedisError) in
                try context.redis.submit(encoded: bytes, commandCount: request.commandCount, handler: request)
            }
        }
        if case .failure(let error) = submitted {
            if request.holdsSampleCandidate { context.sampleSettled(by: request, stored: false) }
            let message = error == .overloaded ? "redis pipeline full" : "redis unavailable"
            reject(job, .redisUnavailable, Responses.unavailable(message))
        }
        if commands.capacity > Self.retainedCommandBytes { commands = [] }
    }

    private func reject(_ job: IngestJob, _ reason: RejectReason, _ response: HTTPResponse) {
        context.admission.release(events: job.admittedEvents)
        context.metrics.countRejected(reason, events: job.admittedEvents)
        job.responder.respond(response)
    }

    /// `XADD <stream> [MAXLEN ~ n] * device_id <id> priority <P> data <json>` per event; a batch is wrapped in
    /// MULTI/EXEC so Redis stores all of it or none of it.
    private func encode(_ batch: TelemetryBatch) {
        if batch.isArray { RESPEncoder.appendCommand([.staticString("MULTI")], to: &commands) }
        for event in batch.events {
            var arguments: [RESPArgument] = [.staticString("XADD"), .string(context.stream)]
            if let maxLength = context.streamMaxLength {
                arguments += [.staticString("MAXLEN"), .staticString("~"), .integer(maxLength)]
            }
            arguments += [
                .staticString("*"),
                .staticString("device_id"), .bytes(event.deviceID),
                .staticString("priority"), .string(event.priority.rawValue),
                .staticString("data"), .bytes(event.data),
            ]
            RESPEncoder.appendCommand(arguments, to: &commands)
        }
        if batch.isArray { RESPEncoder.appendCommand([.staticString("EXEC")], to: &commands) }
    }
}
