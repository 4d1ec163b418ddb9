import Reactor
import RespClient

/// The Redis side of one POST /telemetry: feeds the replies of its commands to `IngestReplies` and, once all are
/// in, releases the admission, settles the /status sample candidate, counts, and answers the client — or, when the
/// spool is on and Redis was down, stalled or refusing for now, hands the events to the spool instead of refusing.
/// Runs on the loop thread (RedisConnection calls handlers there), so it needs no locking.
///
/// With one stream shard, or when every event of the request maps to the same shard, the request is one part and is
/// itself the reply handler (no allocation beyond it on the common path). A batch spread over several shards is one
/// part per shard, each its own `MULTI … EXEC` submitted on its own (in a cluster, to its own node) with an
/// `IngestPart` as handler: 200 only when every part is stored. A part that fails does not undo the others, so a 503
/// may leave some of the batch stored (at-least-once: the client's retry stores those events again). Parts and the
/// spool never meet: a spool keeps the stream one key (`GatewayConfig`).
///
/// Why `@unchecked Sendable` is sound: a consumer (or the reactor, inline) makes it and sets `holdsSampleCandidate`
/// and `spoolFallback` before `RedisConnection.submit`, which passes it to the loop thread under the outbox's lock;
/// from then on only the loop thread touches it. The other stored properties are constants.
final class IngestRequest: RedisReplyHandler, @unchecked Sendable {
    private let context: IngestContext
    private let responder: GatewayResponder
    private let admittedEvents: Int
    /// This request's last event is the candidate for /status's latest sample (see `IngestContext.offerSample`).
    var holdsSampleCandidate = false
    /// The events, kept while Redis has not answered when the spool is on: if Redis turns out to be down or
    /// stalled, the request is spooled instead of refused.
    var spoolFallback: TelemetryBatch?
    @exclusivity(unchecked) private var replies: IngestReplies
    @exclusivity(unchecked) private var partsLeft = 1
    /// The first part's verdict that is not stored, when the request is several parts.
    @exclusivity(unchecked) private var failure: IngestReplies.Verdict?

    init(context: IngestContext, responder: GatewayResponder, eventCount: Int, admittedEvents: Int, isBatch: Bool) {
        self.context = context
        self.responder = responder
        self.admittedEvents = admittedEvents
        self.replies = IngestReplies(eventCount: eventCount, isBatch: isBatch)
    }

    var commandCount: Int { replies.commandCount }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        guard let verdict = replies.record(result, tag: tag) else { return }
        if holdsSampleCandidate { context.sampleSettled(by: self, stored: verdict.isStored) }
        if verdict.isRetryable, let batch = spoolFallback, let spool = context.spool {
            // The spool answers (200 once on disk, or 503) and releases the admission then.
            spool.append(batch, responder: responder, admittedEvents: admittedEvents)
            return
        }
        finish(verdict)
    }

    /// Splits the request into `count` parts, each answered through an `IngestPart`. Call before submitting any.
    func expectParts(_ count: Int) {
        partsLeft = count
    }

    /// One part of several is answered (or could not be submitted). Loop thread.
    func partFinished(_ verdict: IngestReplies.Verdict) {
        if !verdict.isStored && failure == nil { failure = verdict }
        partsLeft -= 1
        guard partsLeft == 0 else { return }
        // Only a batch is split, so when every part is stored the whole batch was accepted.
        let verdict = failure ?? .accepted(replies.eventCount)
        if holdsSampleCandidate { context.sampleSettled(by: self, stored: verdict.isStored) }
        finish(verdict)
    }

    private func finish(_ verdict: IngestReplies.Verdict) {
        context.admission.release(events: admittedEvents)
        if let reason = verdict.rejectReason {
            context.metrics.countRejected(reason, events: replies.eventCount)
        } else {
            context.metrics.eventsStored.add(replies.eventCount)
        }
        responder.respond(verdict.response)
    }
}

/// One shard's part of a request spread over several shards.
final class IngestPart: RedisReplyHandler, @unchecked Sendable {
    private let request: IngestRequest
    @exclusivity(unchecked) private var replies: IngestReplies

    init(request: IngestRequest, eventCount: Int, isBatch: Bool) {
        self.request = request
        replies = IngestReplies(eventCount: eventCount, isBatch: isBatch)
    }

    var commandCount: Int { replies.commandCount }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        if let verdict = replies.record(result, tag: tag) { request.partFinished(verdict) }
    }
}
