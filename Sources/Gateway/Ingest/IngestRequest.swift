import Reactor
import RespClient

/// The Redis side of one POST /telemetry: feeds the replies of its commands to `IngestReplies` and, once all are
/// in, releases the admission, settles the /status sample candidate, counts, and answers the client. Runs on the
/// loop thread (RedisConnection calls handlers there), so it needs no locking.
///
/// Why `@unchecked Sendable` is sound: a consumer (or the reactor, inline) makes it and sets `holdsSampleCandidate`
/// before `RedisConnection.submit`, which passes it to the loop thread under the outbox's lock; from then on only
/// the loop thread touches it. The other stored properties are constants.
final class IngestRequest: RedisReplyHandler, @unchecked Sendable {
    private let context: IngestContext
    private let responder: GatewayResponder
    private let admittedEvents: Int
    /// This request's last event is the candidate for /status's latest sample (see `IngestContext.offerSample`).
    var holdsSampleCandidate = false
    @exclusivity(unchecked) private var replies: IngestReplies

    init(context: IngestContext, responder: GatewayResponder, eventCount: Int, admittedEvents: Int, isBatch: Bool) {
        self.context = context
        self.responder = responder
        self.admittedEvents = admittedEvents
        self.replies = IngestReplies(eventCount: eventCount, isBatch: isBatch)
    }

    var commandCount: Int { replies.commandCount }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        guard let verdict = replies.record(result, tag: tag) else { return }
        context.admission.release(events: admittedEvents)
        if holdsSampleCandidate { context.sampleSettled(by: self, stored: verdict.isStored) }
        if let reason = verdict.rejectReason {
            context.metrics.countRejected(reason, events: replies.eventCount)
        } else {
            context.metrics.eventsStored.add(replies.eventCount)
        }
        responder.respond(verdict.response)
    }
}
