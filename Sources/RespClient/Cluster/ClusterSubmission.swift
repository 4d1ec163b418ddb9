/// One submission routed to a cluster primary: a single command, or a `MULTI … EXEC` block whose keys share a slot.
///
/// It keeps the encoded commands and holds their replies back until all are in, because only then is it known
/// whether the node executed them: a `-MOVED` or `-ASK` reply means the command was not executed (inside `MULTI` the
/// redirect is the queuing error and `EXEC` answers `-EXECABORT`, so nothing of the block ran), and the whole
/// submission is sent again to the node the redirect names. Anything else, a failure of the link included, reaches
/// the caller's handler as it came: a command that may have executed is never resent.
///
/// That is why a submission must be one command or one `MULTI … EXEC` block: of several independent commands some
/// could have executed before one was redirected, and resending all of them would store those twice.
final class ClusterSubmission: RedisReplyHandler, @unchecked Sendable {
    /// Redirects followed per submission before giving up. During a reshard a slot moves once (`ASK` to the target,
    /// then `MOVED` once it is done); more than a few in a row means the map keeps changing under the client, and the
    /// caller's retry after a 503 is the better answer than chasing it.
    static let maximumRedirects = 5

    private unowned let router: RedisRouter
    let commands: [UInt8]
    let commandCount: Int
    private let handler: any RedisReplyHandler
    /// The node the commands were last sent to: an endpoint without a host in a redirect means this node's host.
    @exclusivity(unchecked) var sentTo: ClusterEndpoint
    @exclusivity(unchecked) private(set) var redirects = 0
    /// Replies to drop before the submission's own: the `+OK` of the `ASKING` sent ahead of it after an `ASK`.
    @exclusivity(unchecked) var repliesToSkip = 0
    @exclusivity(unchecked) private var replies: [Result<RESPValue, RedisError>] = []

    init(
        router: RedisRouter, commands: [UInt8], commandCount: Int, handler: any RedisReplyHandler,
        sentTo: ClusterEndpoint
    ) {
        self.router = router
        self.commands = commands
        self.commandCount = commandCount
        self.handler = handler
        self.sentTo = sentTo
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        if tag < repliesToSkip { return }
        replies.append(result)
        guard replies.count == commandCount else { return }
        let collected = replies
        replies = []
        if case .redirect(let redirect) = Self.verdict(collected), redirects < Self.maximumRedirects {
            redirects += 1
            router.follow(redirect.resolved(against: sentTo), for: self)
        } else {
            deliver(collected)
        }
    }

    /// Hands the replies to the caller, in order, with the caller's tags.
    private func deliver(_ collected: [Result<RESPValue, RedisError>]) {
        for (tag, result) in collected.enumerated() { handler.redisReplied(result, tag: tag) }
    }

    /// Answers every command with `error`: the redirect could not be followed, so nothing was executed.
    func fail(_ error: RedisError) {
        for tag in 0..<commandCount { handler.redisReplied(.failure(error), tag: tag) }
    }

    enum Verdict: Equatable {
        case deliver
        case redirect(ClusterRedirect)
    }

    /// A submission is redirected when a reply is `MOVED` or `ASK` and no reply says the link failed (a lost link may
    /// have executed part of it, so it is not resent).
    static func verdict(_ replies: [Result<RESPValue, RedisError>]) -> Verdict {
        var redirect: ClusterRedirect?
        for reply in replies {
            switch reply {
            case .failure(.server(let error)):
                if redirect == nil { redirect = ClusterRedirect(error) }
            case .failure:
                return .deliver
            case .success:
                continue
            }
        }
        return redirect.map(Verdict.redirect) ?? .deliver
    }
}

/// A reply handler that calls a closure: the router's own commands (`INFO`, `CLUSTER SHARDS`) are rare, so a closure
/// per command costs nothing that matters.
final class RedisReplyCallback: RedisReplyHandler, @unchecked Sendable {
    private let body: (Result<RESPValue, RedisError>) -> Void

    init(_ body: @escaping (Result<RESPValue, RedisError>) -> Void) {
        self.body = body
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        body(result)
    }
}
