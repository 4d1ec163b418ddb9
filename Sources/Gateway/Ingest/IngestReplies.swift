import RespClient

/// The replies of one part of a request: a single `XADD`, or `MULTI`, one `XADD` per event, `EXEC`. Redis applies the
/// block atomically, so a connection lost before `EXEC` stores nothing of the part.
struct IngestReplies {
    let eventCount: Int
    let isBatch: Bool
    let commandCount: Int
    private var replies = 0
    /// The stored entry's ID, for a single event's `{"ok":true,"id":...}`.
    private(set) var entryID: String?
    private(set) var failure: IngestFailure?

    init(eventCount: Int, isBatch: Bool) {
        self.eventCount = eventCount
        self.isBatch = isBatch
        commandCount = isBatch ? eventCount + 2 : 1
    }

    /// Takes one reply; true once every reply of the part is in.
    mutating func take(_ result: Result<RESPValue, RedisError>, tag: Int) -> Bool {
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
        return replies == commandCount
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

/// Why a part was not stored.
enum IngestFailure {
    case unavailable(String)
    case rejectedByRedis(RedisServerError)
}
