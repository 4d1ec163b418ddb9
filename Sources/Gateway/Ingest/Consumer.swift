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
        if let spool = context.spool, spool.holdsEvents {
            // Behind what is already spooled, so no device's events overtake its earlier ones.
            spool.append(batch, responder: job.responder, admittedEvents: job.admittedEvents)
            return
        }

        let request = IngestRequest(
            context: context, responder: job.responder, eventCount: batch.events.count,
            admittedEvents: job.admittedEvents, isBatch: batch.isArray)
        if context.spool != nil { request.spoolFallback = batch }
        if let last = batch.events.last {
            request.holdsSampleCandidate = context.offerSample(last.data, from: request)
        }
        let stream = context.shards
        // One shard (every standalone deployment without --stream-shards) needs no split: no index arrays per request.
        let parts = stream.shards.count == 1 ? [] : Self.split(batch, over: stream.shards)
        if parts.count <= 1 {
            if let error = submit(
                batch.events.indices, of: batch, shard: parts.first?.shard ?? 0, in: stream, handler: request,
                commandCount: request.commandCount)
            {
                if request.holdsSampleCandidate { context.sampleSettled(by: request, stored: false) }
                if let spool = context.spool {
                    spool.append(batch, responder: job.responder, admittedEvents: job.admittedEvents)
                    return
                }
                let message = error == .overloaded ? "redis pipeline full" : "redis unavailable"
                reject(job, .redisUnavailable, Responses.unavailable(message))
            }
        } else {
            request.expectParts(parts.count)
            let loop = context.loop
            for part in parts {
                let handler = IngestPart(request: request, eventCount: part.events.count, isBatch: batch.isArray)
                guard
                    let error = submit(
                        part.events, of: batch, shard: part.shard, in: stream, handler: handler,
                        commandCount: handler.commandCount)
                else { continue }
                // Counted on the loop thread, where the other parts' replies arrive.
                let verdict = IngestReplies.Verdict.unavailable(
                    error == .overloaded ? "redis pipeline full" : "redis unavailable")
                if loop.inLoop { request.partFinished(verdict) } else { loop.execute { request.partFinished(verdict) } }
            }
        }
        if commands.capacity > Self.retainedCommandBytes { commands = [] }
    }

    /// Encodes the events at `indices` for their shard and submits them; the error when the submission was refused
    /// at once (nothing queued).
    private func submit<Indices: Collection<Int>>(
        _ indices: Indices, of batch: TelemetryBatch, shard: Int, in stream: ShardedStream,
        handler: any RedisReplyHandler, commandCount: Int
    ) -> RedisError? {
        commands.removeAll(keepingCapacity: true)
        encode(indices, of: batch, key: stream.shards.count == 1 ? nil : stream.shards.keys[shard])
        let submitted = commands.withUnsafeBytes { bytes in
            Result { () throws(RedisError) in
                try context.redis.submit(
                    encoded: bytes, commandCount: commandCount, slot: stream.slots[shard], handler: handler)
            }
        }
        if case .failure(let error) = submitted { return error }
        return nil
    }

    /// The events of each shard the batch touches, in the order of each shard's first event; each shard's events in
    /// the order sent, so a device's readings keep their order.
    static func split(_ batch: TelemetryBatch, over shards: StreamShards) -> [(shard: Int, events: [Int])] {
        guard shards.count > 1 else { return [(0, Array(batch.events.indices))] }
        var parts: [(shard: Int, events: [Int])] = []
        var partOfShard = [Int](repeating: -1, count: shards.count)
        for index in batch.events.indices {
            let shard = shards.shard(of: batch.events[index].deviceID)
            if partOfShard[shard] < 0 {
                partOfShard[shard] = parts.count
                parts.append((shard, []))
            }
            parts[partOfShard[shard]].events.append(index)
        }
        return parts
    }

    private func reject(_ job: IngestJob, _ reason: RejectReason, _ response: HTTPResponse) {
        context.admission.release(events: job.admittedEvents)
        context.metrics.countRejected(reason, events: job.admittedEvents)
        job.responder.respond(response)
    }

    /// One `XADD` per event (`StreamTarget`) to `key` (a shard's, or nil for the stream itself); a batch is wrapped
    /// in MULTI/EXEC so Redis stores all of it (all of this shard's part) or none of it.
    private func encode<Indices: Collection<Int>>(_ indices: Indices, of batch: TelemetryBatch, key: String?) {
        if batch.isArray { RESPEncoder.appendCommand([.staticString("MULTI")], to: &commands) }
        for index in indices {
            context.target.appendXADD(batch.events[index], key: key, to: &commands)
        }
        if batch.isArray { RESPEncoder.appendCommand([.staticString("EXEC")], to: &commands) }
    }
}
