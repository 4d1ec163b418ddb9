import RespClient

/// Collects the replies to one forwarded batch on the loop thread and reports to the spool thread how many of its
/// records, counted from the first, Redis stored. Records after the first failure are sent again later, so a failure
/// in the middle of a batch can store a record twice (at-least-once), never skip one.
final class SpoolForwardReplies: RedisReplyHandler, @unchecked Sendable {
    private let commandCounts: [Int]
    private let total: Int
    private let completion: @Sendable (Int) -> Void
    @exclusivity(unchecked) private var replies = 0
    @exclusivity(unchecked) private var record = 0
    @exclusivity(unchecked) private var firstCommandOfRecord = 0
    /// Records stored, counted from the first; frozen at the first failure.
    @exclusivity(unchecked) private var storedPrefix = 0
    @exclusivity(unchecked) private var failed = false

    init(commandCounts: [Int], completion: @escaping @Sendable (Int) -> Void) {
        self.commandCounts = commandCounts
        self.total = commandCounts.reduce(0, +)
        self.completion = completion
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        replies += 1
        let isExec = tag == firstCommandOfRecord + commandCounts[record] - 1
        switch result {
        case .failure:
            failed = true
        case .success(let value):
            if isExec && !failed {
                // A nil EXEC (aborted) or an error inside it means the record was not stored whole.
                if case .array(let results) = value, results.count == commandCounts[record] - 2,
                    !results.contains(where: { if case .error = $0 { true } else { false } })
                {
                    storedPrefix += 1
                } else {
                    failed = true
                }
            }
        }
        if isExec {
            firstCommandOfRecord += commandCounts[record]
            record += 1
        }
        if replies == total { completion(storedPrefix) }
    }
}
