/// What an `HTTPServer` and its listener count. Loop thread only; `snapshot` is the copy other threads may hold.
///
/// An object of its own, given to the server when it is made, so that whatever reports the counts (a `/metrics`
/// handler) can be built before the server. The server needs its handler to exist first, so a handler that held
/// the server itself could only get it after construction, through a mutable optional.
public final class HTTPServerStatistics {
    /// The server's own counts.
    @exclusivity(unchecked) var counts = HTTPServer.Statistics()
    /// What the listener counts: descriptor exhaustion, accept pauses and accept errors.
    public let listener = ListenerStatistics()

    public init() {}

    /// Everything counted so far, in one value.
    public var snapshot: HTTPServer.Statistics {
        var copy = counts
        copy.shedForDescriptorExhaustion = listener.shedForDescriptorExhaustion
        copy.acceptPauses = listener.pauses
        copy.acceptErrors = listener.acceptErrors
        return copy
    }
}

extension HTTPServer {
    public struct Statistics: Sendable {
        public var accepted = 0
        public var open = 0
        public var requests = 0
        public var rejectedByStatus: [Int: Int] = [:]
        public var headerTimeouts = 0
        public var bodyTimeouts = 0
        public var idleTimeouts = 0
        public var sendTimeouts = 0
        public var refusedOverCapacity = 0
        public var shedForDescriptorExhaustion = 0
        /// Times accepting paused because not even the spare descriptor could be freed (`Listener.exhaustionPause`).
        public var acceptPauses = 0
        /// `accept` failures other than running out of descriptors: mostly peers that gave up before being accepted.
        public var acceptErrors = 0

        mutating func count(_ timeout: HTTPConnectionStateMachine.Timeout) {
            switch timeout {
            case .header: headerTimeouts += 1
            case .body: bodyTimeouts += 1
            case .idle: idleTimeouts += 1
            case .send: sendTimeouts += 1
            case .linger: break  // the refusal that led to it was counted
            }
        }
    }
}

/// What a `Listener` counts. Loop thread only.
public final class ListenerStatistics {
    /// Connections accepted with the spare descriptor only to be refused, because descriptors ran out.
    public internal(set) var shedForDescriptorExhaustion = 0
    public internal(set) var pauses = 0
    public internal(set) var acceptErrors = 0

    public init() {}
}
