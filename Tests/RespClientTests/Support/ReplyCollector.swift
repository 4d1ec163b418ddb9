import RespClient
import Synchronization
import TestSupport

/// Records every reply it is handed, with its tag, in arrival order.
final class ReplyCollector: RedisReplyHandler {
    struct Reply {
        var tag: Int
        var result: Result<RESPValue, RedisError>
    }

    private let replies = Mutex<[Reply]>([])

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        replies.withLock { $0.append(Reply(tag: tag, result: result)) }
    }

    var received: [Reply] { replies.withLock { $0 } }

    var count: Int { replies.withLock { $0.count } }

    /// The first `count` replies once they have arrived, nil if they do not arrive within `timeout`.
    func wait(for count: Int, timeout: Duration = .seconds(10)) -> [Reply]? {
        guard waitUntil(timeout: timeout, { self.count >= count }) else { return nil }
        return Array(received.prefix(count))
    }
}

extension ReplyCollector.Reply {
    var value: RESPValue? {
        if case .success(let value) = result { return value }
        return nil
    }

    var error: RedisError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}
