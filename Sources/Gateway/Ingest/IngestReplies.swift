import Reactor
import RespClient

/// What the Redis replies to one request's commands add up to. A value with no I/O, fed one reply at a time; when
/// the last is in it says how the request is answered. `IngestRequest` is its shell on the loop thread.
///
/// A single event is one `XADD`, whose reply is the entry ID. A batch is `MULTI`, one `XADD` per event, `EXEC`:
/// Redis applies the block atomically, so the `EXEC` reply decides (an array with one result per event, or nil
/// when the transaction was aborted), and a connection lost before `EXEC` stores nothing. The first failure wins.
struct IngestReplies {
    /// How a request is answered once every reply is in.
    enum Verdict: Equatable {
        /// One event, stored under this stream entry ID: 200 `{"ok":true,"id":...}`.
        case stored(id: String)
        /// A batch of this many events, all stored: 200 `{"ok":true,"accepted":N}`.
        case accepted(Int)
        /// Nothing stored, and trying again later may work: 503 with `Retry-After`.
        case unavailable(String)
        /// Redis refused a write; transient codes (`transientCodes`) are 503, anything else 500.
        case rejectedByRedis(RedisServerError)

        var isStored: Bool {
            switch self {
            case .stored, .accepted: true
            case .unavailable, .rejectedByRedis: false
            }
        }

        /// Nothing was stored and trying again later can succeed: Redis down, stalled, or refusing for now.
        var isRetryable: Bool {
            switch self {
            case .stored, .accepted: false
            case .unavailable: true
            case .rejectedByRedis(let error): IngestReplies.isTransient(error)
            }
        }

        /// The `gateway_events_rejected_total` reason; nil when stored.
        var rejectReason: RejectReason? {
            switch self {
            case .stored, .accepted: nil
            case .unavailable: .redisUnavailable
            case .rejectedByRedis(let error): IngestReplies.isTransient(error) ? .redisUnavailable : .redisError
            }
        }

        var response: HTTPResponse {
            switch self {
            case .stored(let id): Responses.stored(id: id)
            case .accepted(let count): Responses.accepted(count)
            case .unavailable(let reason): Responses.unavailable(reason)
            case .rejectedByRedis(let error) where IngestReplies.isTransient(error):
                Responses.unavailable("redis refused the write: \(error.code)")
            case .rejectedByRedis(let error): Responses.error(500, "redis refused the write: \(error)")
            }
        }
    }

    /// Error codes that mean memory pressure, loading, failover or a cluster mid-change (a redirect reaches the
    /// request only when `RedisRouter` gave up following them): retrying later can succeed, so they are 503.
    /// Anything else (e.g. `WRONGTYPE`: the stream key holds another type) is a misconfiguration retrying will not fix.
    static let transientCodes: Set<String> = [
        "OOM", "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK",
    ]

    static func isTransient(_ error: RedisServerError) -> Bool { transientCodes.contains(error.code) }

    let eventCount: Int
    let isBatch: Bool
    /// `XADD` alone, or `MULTI` + one `XADD` per event + `EXEC`.
    let commandCount: Int
    private var received = 0
    private var entryID: String?
    private var failure: Verdict?

    init(eventCount: Int, isBatch: Bool) {
        self.eventCount = eventCount
        self.isBatch = isBatch
        self.commandCount = isBatch ? eventCount + 2 : 1
    }

    /// Takes the reply to command `tag` (0-based, in submission order). Returns the verdict with the last reply, nil
    /// before.
    mutating func record(_ result: Result<RESPValue, RedisError>, tag: Int) -> Verdict? {
        received += 1
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
        guard received == commandCount else { return nil }
        if let failure { return failure }
        return isBatch ? .accepted(eventCount) : .stored(id: entryID ?? "")
    }

    private mutating func checkExecReply(_ value: RESPValue) {
        guard case .array(let results) = value, results.count == eventCount else {
            // A nil EXEC means the transaction was aborted: nothing was stored.
            if failure == nil { failure = .unavailable("redis aborted the batch") }
            return
        }
        for case .error(let message) in results where failure == nil {
            failure = .rejectedByRedis(RedisServerError(message))
        }
    }

    private mutating func record(_ error: RedisError) {
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
}
