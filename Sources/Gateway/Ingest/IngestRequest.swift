import Reactor
import RespClient

/// The Redis side of one POST /telemetry: collects the outcome of each part and answers the client once all are in.
/// Runs on the loop thread (Redis reply handlers are called there), so it needs no locking.
///
/// With one stream shard, or when every event of the request maps to the same shard, the request is one part and is
/// itself the reply handler (no allocation beyond it on the common path). A batch spread over several shards is one
/// part per shard, each its own `MULTI … EXEC` submitted on its own (in a cluster, to its own node) with an
/// `IngestPart` as handler: 200 only when every part is stored. A part that fails does not undo the others, so a 503
/// may leave some of the batch stored (at-least-once: the client's retry stores those events again).
final class IngestRequest: RedisReplyHandler, @unchecked Sendable {
    private let gateway: IngestContext
    private let responder: GatewayResponder
    private let eventCount: Int
    private let admittedEvents: Int
    private let isBatch: Bool
    /// This request's last event is the candidate for /status's latest sample (see `IngestContext.offerSample`).
    var holdsSampleCandidate = false
    /// The replies of the request when it is one part.
    @exclusivity(unchecked) private var own: IngestReplies
    @exclusivity(unchecked) private var partsLeft = 1
    @exclusivity(unchecked) private var entryID: String?
    @exclusivity(unchecked) private var failure: IngestFailure?

    init(gateway: IngestContext, responder: GatewayResponder, eventCount: Int, admittedEvents: Int, isBatch: Bool) {
        self.gateway = gateway
        self.responder = responder
        self.eventCount = eventCount
        self.admittedEvents = admittedEvents
        self.isBatch = isBatch
        own = IngestReplies(eventCount: eventCount, isBatch: isBatch)
    }

    /// Commands of the request as one part.
    var commandCount: Int { own.commandCount }

    /// Splits the request into `count` parts, each answered through an `IngestPart`. Call before submitting any.
    func expectParts(_ count: Int) {
        partsLeft = count
    }

    /// A part that could not even be submitted. Call once per such part, after the others were submitted.
    func partNotSubmitted(_ reason: IngestFailure) {
        partFinished(entryID: nil, failure: reason)
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        if own.take(result, tag: tag) { partFinished(entryID: own.entryID, failure: own.failure) }
    }

    func partFinished(entryID: String?, failure: IngestFailure?) {
        if self.failure == nil { self.failure = failure }
        if let entryID { self.entryID = entryID }
        partsLeft -= 1
        if partsLeft == 0 { finish() }
    }

    private func finish() {
        gateway.admission.release(events: admittedEvents)
        if holdsSampleCandidate { gateway.sampleSettled(by: self, stored: failure == nil) }
        let metrics = gateway.metrics
        switch failure {
        case nil:
            metrics.eventsStored.add(eventCount)
            responder.respond(isBatch ? Responses.accepted(eventCount) : Responses.stored(id: entryID ?? ""))
        case .unavailable(let reason):
            metrics.countRejected(.redisUnavailable, events: eventCount)
            responder.respond(Responses.unavailable(reason))
        case .rejectedByRedis(let error):
            // Memory pressure, failover and a cluster mid-change are transient: retry later. Anything else is a
            // misconfiguration (e.g. WRONGTYPE: the stream key holds another type) that retrying will not fix.
            let transient = ["OOM", "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK"]
                .contains(error.code)
            metrics.countRejected(transient ? .redisUnavailable : .redisError, events: eventCount)
            responder.respond(transient ? Responses.unavailable("redis refused the write: \(error.code)")
                                        : Responses.error(500, "redis refused the write: \(error)"))
        }
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
        if replies.take(result, tag: tag) { request.partFinished(entryID: replies.entryID, failure: replies.failure) }
    }
}
