import Reactor
import RespClient
import Testing

@testable import Gateway

/// `IngestReplies`: how Redis's replies to one request's commands become its answer. No sockets, no Redis.
@Suite struct IngestRepliesTests {
    private static let ok = Result<RESPValue, RedisError>.success(.simpleString("OK"))
    private static let queued = Result<RESPValue, RedisError>.success(.simpleString("QUEUED"))

    /// Feeds `results` in order and returns the verdicts, one per reply (nil until the last).
    private static func feed(
        _ replies: inout IngestReplies, _ results: [Result<RESPValue, RedisError>]
    ) -> [IngestReplies.Verdict?] {
        results.enumerated().map { replies.record($1, tag: $0) }
    }

    /// One event: one XADD, whose entry ID is the answer.
    @Test func singleEventIsStoredUnderItsID() {
        var replies = IngestReplies(eventCount: 1, isBatch: false)
        #expect(replies.commandCount == 1)
        let verdict = replies.record(.success(.bulkString(Array("1700000000000-0".utf8))), tag: 0)
        #expect(verdict == .stored(id: "1700000000000-0"))
        #expect(verdict?.rejectReason == nil)
        #expect(verdict?.response.status == 200)
        #expect(verdict?.response.body == Array(#"{"ok":true,"id":"1700000000000-0"}"#.utf8))
    }

    /// A batch of three: MULTI, three XADDs, EXEC; only the EXEC array decides, and the verdict comes with it.
    @Test func batchIsAcceptedWhenExecStoresAll() {
        var replies = IngestReplies(eventCount: 3, isBatch: true)
        #expect(replies.commandCount == 5)
        let ids: RESPValue = .array((0..<3).map { .bulkString(Array("1-\($0)".utf8)) })
        let verdicts = Self.feed(&replies, [Self.ok, Self.queued, Self.queued, Self.queued, .success(ids)])
        #expect(verdicts.dropLast().allSatisfy { $0 == nil })
        #expect(verdicts.last == .accepted(3))
        #expect(verdicts.last??.response.body == Array(#"{"ok":true,"accepted":3}"#.utf8))
    }

    /// A nil EXEC (aborted transaction) stores nothing: 503, counted as Redis unavailable.
    @Test func abortedBatchIsUnavailable() {
        var replies = IngestReplies(eventCount: 2, isBatch: true)
        let verdict = Self.feed(&replies, [Self.ok, Self.queued, Self.queued, .success(.null)]).last
        #expect(verdict == .unavailable("redis aborted the batch"))
        #expect(verdict??.rejectReason == .redisUnavailable)
        #expect(verdict??.response.status == 503)
        #expect(verdict??.response.headers.filter { $0.name == "Retry-After" }.count == 1)
    }

    /// An error inside EXEC's results is the answer: WRONGTYPE is a misconfiguration (500), OOM is transient (503).
    @Test func errorsInsideExec() {
        for (message, status, reason) in [
            ("WRONGTYPE wrong kind", 500, RejectReason.redisError),
            ("OOM command not allowed", 503, .redisUnavailable),
        ] {
            var replies = IngestReplies(eventCount: 2, isBatch: true)
            let exec: RESPValue = .array([.bulkString(Array("1-0".utf8)), .error(message)])
            let verdict = Self.feed(&replies, [Self.ok, Self.queued, Self.queued, .success(exec)]).last ?? nil
            #expect(verdict == .rejectedByRedis(RedisServerError(message)))
            #expect(verdict?.rejectReason == reason)
            #expect(verdict?.response.status == status)
        }
    }

    /// The first failure wins: a command error before EXEC is kept over EXECABORT, and a later timeout changes
    /// nothing.
    @Test func firstFailureWins() {
        var replies = IngestReplies(eventCount: 2, isBatch: true)
        let verdict =
            Self.feed(
                &replies,
                [
                    Self.ok, .failure(.server(RedisServerError("ERR bad argument"))), Self.queued,
                    .failure(.server(RedisServerError("EXECABORT Transaction discarded"))),
                ]
            ).last ?? nil
        #expect(verdict == .rejectedByRedis(RedisServerError("ERR bad argument")))
        var single = IngestReplies(eventCount: 1, isBatch: false)
        #expect(single.record(.failure(.timeout), tag: 0) == .unavailable("redis did not answer in time"))
    }

    /// Link failures map to 503 with a reason a client can log.
    @Test func linkFailuresAreUnavailable() {
        let cases: [(RedisError, String)] = [
            (.notConnected("down"), "redis unavailable"), (.connectionLost("reset"), "redis unavailable"),
            (.overloaded, "redis pipeline full"), (.shutdown, "shutting down"),
        ]
        for (error, reason) in cases {
            var replies = IngestReplies(eventCount: 1, isBatch: false)
            let verdict = replies.record(.failure(error), tag: 0)
            #expect(verdict == .unavailable(reason))
            #expect(verdict?.isStored == false)
        }
    }
}
