import Reactor
import Testing

@testable import RespClient

/// What a routed submission does with its replies, without sockets: which replies mean "not executed, send again
/// where the redirect says", and that the caller sees its own replies with its own tags.
@Suite struct ClusterSubmissionTests {
    private final class Recorder: RedisReplyHandler, @unchecked Sendable {
        var replies: [(Int, Result<RESPValue, RedisError>)] = []
        func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) { replies.append((tag, result)) }
    }

    static let moved = RedisServerError("MOVED 12 127.0.0.1:7001")
    static let ask = RedisServerError("ASK 12 127.0.0.1:7002")

    @Test func redirectsOnlyWhatWasNotExecuted() {
        let movedTo = ClusterRedirect(Self.moved)!
        // A single command, and a MULTI block whose queued command was redirected (EXEC then aborts).
        #expect(ClusterSubmission.verdict([.failure(.server(Self.moved))]) == .redirect(movedTo))
        #expect(
            ClusterSubmission.verdict([
                .success(.simpleString("OK")), .failure(.server(Self.moved)),
                .failure(.server(RedisServerError("EXECABORT Transaction discarded because of previous errors."))),
            ]) == .redirect(movedTo))
        #expect(ClusterSubmission.verdict([.failure(.server(Self.ask))]) == .redirect(ClusterRedirect(Self.ask)!))
        // A lost link may have executed part of it: never resent. Other errors and successes go to the caller.
        #expect(
            ClusterSubmission.verdict([.failure(.server(Self.moved)), .failure(.connectionLost("reset"))]) == .deliver)
        #expect(ClusterSubmission.verdict([.failure(.server(RedisServerError("TRYAGAIN Multiple keys")))]) == .deliver)
        #expect(
            ClusterSubmission.verdict([.failure(.server(RedisServerError("CLUSTERDOWN The cluster is down")))])
                == .deliver)
        #expect(ClusterSubmission.verdict([.success(.bulkString([0x31]))]) == .deliver)
    }

    /// Replies are held until the last is in, then handed over in order with tags from 0; after an ASK the `+OK` of
    /// the `ASKING` in front is dropped.
    @Test func deliversInOrderAndSkipsTheAskingReply() throws {
        let loop = try EventLoop()
        let router = RedisRouter(loop: loop, configuration: RedisConfiguration())
        let recorder = Recorder()
        let submission = ClusterSubmission(
            router: router, commands: [], commandCount: 3, handler: recorder,
            sentTo: ClusterEndpoint(host: "127.0.0.1", port: 7000))
        submission.repliesToSkip = 1
        submission.redisReplied(.success(.simpleString("OK")), tag: 0)
        submission.redisReplied(.success(.simpleString("OK")), tag: 1)
        submission.redisReplied(.success(.simpleString("QUEUED")), tag: 2)
        #expect(recorder.replies.isEmpty)
        submission.redisReplied(.success(.array([.bulkString([0x31])])), tag: 3)
        #expect(recorder.replies.map(\.0) == [0, 1, 2])
        #expect(recorder.replies.last.map { (try? $0.1.get()) == .array([.bulkString([0x31])]) } == true)

        let failed = Recorder()
        ClusterSubmission(
            router: router, commands: [], commandCount: 2, handler: failed,
            sentTo: ClusterEndpoint(host: "127.0.0.1", port: 7000)
        ).fail(.notConnected("x"))
        #expect(failed.replies.map(\.0) == [0, 1])
    }

    @Test func urlsTakeCommaSeparatedSeeds() throws {
        let url = try RedisURL(parsing: "redis://user:secret@10.0.0.1:7000,node-2:7001,[::1]:7002")
        #expect(url.host == "10.0.0.1" && url.port == 7000 && url.username == "user" && url.password == "secret")
        #expect(
            url.seeds == [
                ClusterEndpoint(host: "10.0.0.1", port: 7000), ClusterEndpoint(host: "node-2", port: 7001),
                ClusterEndpoint(host: "::1", port: 7002),
            ])
        #expect(url.description == "redis://user:***@10.0.0.1:7000,node-2:7001,[::1]:7002")
        #expect(
            url.pointing(to: ClusterEndpoint(host: "node-2", port: 7001))
                == RedisURL(host: "node-2", port: 7001, username: "user", password: "secret"))
        #expect(try RedisURL(parsing: "redis://h:1,h:2/3").database == 3)
        #expect(throws: RedisURL.ParseError.self) { try RedisURL(parsing: "redis://h:1,") }
        #expect(throws: RedisURL.ParseError.self) { try RedisURL(parsing: "redis://h:1,h:99999") }
    }
}
