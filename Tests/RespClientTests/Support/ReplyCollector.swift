import Glibc
import RespClient
import Synchronization

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. The bound is an upper limit for
/// a bug to fail the test instead of hanging it, never a performance claim.
func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        usleep(1_000)
    }
    return true
}

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
