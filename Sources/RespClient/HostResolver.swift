import Reactor

/// Resolves host names for `RedisConnection`, off the loop thread and off libdispatch's shared threads.
///
/// `getaddrinfo` can block for as long as DNS takes (seconds with an unreachable name server), so it never runs on
/// the loop. It does not run on `DispatchQueue.global()` either: those threads are shared with everything else in
/// the process, and a handful of hung lookups would starve unrelated work. Each lookup gets a detached thread of
/// its own instead. That costs a thread creation per lookup, which is nothing next to a DNS query, and lookups are
/// rare: one per connection attempt, and attempts are spaced by the reconnect back-off. Numeric addresses never get
/// here: the state machine parses them on the loop (`inet_pton`, no I/O).
enum HostResolver {
    /// Calls `deliver` on the resolver thread with every address of `host`, in `getaddrinfo`'s order.
    static func resolve(
        host: String, port: Int, then deliver: @escaping @Sendable (Result<[SocketAddress], SystemError>) -> Void
    ) {
        OSThread.detach(name: "redis-resolve") {
            deliver(Result { () throws(SystemError) in try SocketAddress.resolveAll(host: host, port: port) })
        }
    }
}
