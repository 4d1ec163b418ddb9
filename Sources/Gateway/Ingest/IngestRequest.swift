import Reactor
import RespClient

/// The Redis side of one POST /telemetry: collects the replies of its commands and answers the client once all are
/// in. Runs on the loop thread (RedisConnection calls handlers there), so it needs no locking.
///
/// Why `@unchecked Sendable` is sound: a consumer (or the reactor, inline) makes it and sets `holdsSampleCandidate`
/// before `RedisConnection.submit`, which passes it to the loop thread under the outbox's lock; from then on only
/// the loop thread touches it. The other stored properties are constants.
///
/// A single event is one `XADD`. A batch is `MULTI`, one `XADD` per event, `EXEC`: Redis applies the block
/// atomically, so a connection lost before `EXEC` stores nothing, and a 200 still means every event is stored.
final class IngestRequest: RedisReplyHandler, @unchecked Sendable {
    private let gateway: IngestContext
    private let responder: GatewayResponder
    private let eventCount: Int
    private let admittedEvents: Int
    private let isBatch: Bool
    /// This request's last event is the candidate for /status's latest sample (see `IngestContext.offerSample`).
    var holdsSampleCandidate = false
    let commandCount: Int
    @exclusivity(unchecked) private var replies = 0
    @exclusivity(unchecked) private var entryID: String?
    @exclusivity(unchecked) private var failure: Failure?

    private enum Failure {
        case unavailable(String)
        case rejectedByRedis(RedisServerError)
    }

    init(gateway: IngestContext, responder: GatewayResponder, eventCount: Int, admittedEvents: Int, isBatch: Bool) {
        self.gateway = gateway
        self.responder = responder
        self.eventCount = eventCount
        self.admittedEvents = admittedEvents
        self.isBatch = isBatch
        self.commandCount = isBatch ? eventCount + 2 : 1
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        replies += 1
        switch result {
        case .failure(let error):
            record(error)
        case .success(let value):
            if !isBatch {
                entryID = value.string
            } else if tag == commandCount - 1 {
                checkExecReply(value)
            }
        }
        if replies == commandCount { finish() }
    }

    private func checkExecReply(_ value: RESPValue) {
        guard case .array(let results) = value, results.count == eventCount else {
            // A nil EXEC means the transaction was aborted: nothing was stored.
            if failure == nil { failure = .unavailable("redis aborted the batch") }
            return
        }
        for case .error(let message) in results where failure == nil {
            failure = .rejectedByRedis(RedisServerError(message))
        }
    }

    private func record(_ error: RedisError) {
        guard failure == nil else { return }
        switch error {
        case .server(let serverError):
            // EXECABORT only repeats the error of a command inside the block; keep the first, more precise one.
            failure = .rejectedByRedis(serverError)
        case .timeout:
            failure = .unavailable("redis did not answer in time")
        case .notConnected, .connectionLost:
            failure = .unavailable("redis unavailable")
        case .overloaded:
            failure = .unavailable("redis pipeline full")
        case .shutdown:
            failure = .unavailable("shutting down")
        }
    }

    private func finish() {
        gateway.admission.release(events: admittedEvents)
        if holdsSampleCandidate { gateway.sampleSettled(by: self, stored: failure == nil) }
        let metrics = gateway.metrics
        switch failure {
        case nil:
            metrics.eventsStored.add(eventCount)
            respond(isBatch ? Responses.accepted(eventCount) : Responses.stored(id: entryID ?? ""))
        case .unavailable(let reason):
            metrics.countRejected(.redisUnavailable, events: eventCount)
            respond(Responses.unavailable(reason))
        case .rejectedByRedis(let error):
            // Memory pressure and failover are transient: retry later. Anything else is a misconfiguration (e.g.
            // WRONGTYPE: the stream key holds another type) that retrying will not fix.
            let transient = ["OOM", "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN"].contains(error.code)
            metrics.countRejected(transient ? .redisUnavailable : .redisError, events: eventCount)
            respond(transient ? Responses.unavailable("redis refused the write: \(error.code)")
                              : Responses.error(500, "redis refused the write: \(error)"))
        }
    }

    private func respond(_ response: HTTPResponse) {
        responder.respond(response)
    }
}
