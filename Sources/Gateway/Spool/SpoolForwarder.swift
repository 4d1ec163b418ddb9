import Reactor
import RespClient

/// Records read from one segment to be replayed into Redis together.
struct SpoolForwardBatch {
    let sequence: UInt64
    private(set) var records: [[TelemetryEvent]] = []
    /// Where each record ends in the segment: the cursor after it is acknowledged.
    private(set) var ends: [Int] = []
    private(set) var eventCount = 0

    init(sequence: UInt64) {
        self.sequence = sequence
    }

    mutating func add(_ events: [TelemetryEvent], endingAt end: Int) {
        records.append(events)
        ends.append(end)
        eventCount += events.count
    }

    /// Events in the first `count` records.
    func events(inFirst count: Int) -> Int {
        records.prefix(count).reduce(0) { $0 + $1.count }
    }

    /// `MULTI`, the record's `XADD`s exactly as the direct path writes them, `EXEC`, for every record: a record is
    /// stored whole or not at all, and all of them leave in one pipelined write.
    func encode(into target: StreamTarget) -> (bytes: [UInt8], commandCounts: [Int]) {
        var bytes: [UInt8] = []
        var counts: [Int] = []
        counts.reserveCapacity(records.count)
        for events in records {
            RESPEncoder.appendCommand([.staticString("MULTI")], to: &bytes)
            for event in events { target.appendXADD(event, to: &bytes) }
            RESPEncoder.appendCommand([.staticString("EXEC")], to: &bytes)
            counts.append(events.count + 2)
        }
        return (bytes, counts)
    }
}

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
                   !results.contains(where: { if case .error = $0 { true } else { false } }) {
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
