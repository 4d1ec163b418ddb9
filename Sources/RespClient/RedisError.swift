/// Why a command did not succeed. Every submitted command ends in exactly one success or one of these.
public enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Redis answered with an error reply (`-WRONGTYPE ...`, `-OOM ...`, `-NOAUTH ...`). The command reached Redis.
    case server(RedisServerError)
    /// The connection is not up (connecting, or down between reconnect attempts). Nothing was sent.
    case notConnected(String)
    /// The connection failed with the command written or queued; Redis may or may not have executed it.
    case connectionLost(String)
    /// No reply within the command timeout; the connection was considered stalled and dropped.
    case timeout
    /// Too many commands in flight; nothing was queued.
    case overloaded
    /// The connection was shut down by its owner.
    case shutdown

    public var description: String {
        switch self {
        case .server(let error): "redis error: \(error)"
        case .notConnected(let reason): "redis not connected: \(reason)"
        case .connectionLost(let reason): "redis connection lost: \(reason)"
        case .timeout: "redis command timed out"
        case .overloaded: "too many redis commands in flight"
        case .shutdown: "redis connection shut down"
        }
    }
}

/// An error reply, split into its code (the first word, e.g. `WRONGTYPE`) and the rest.
public struct RedisServerError: Equatable, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ reply: String) {
        if let space = reply.firstIndex(of: " "), reply[..<space].allSatisfy({ $0.isUppercase || $0 == "_" }) {
            code = String(reply[..<space])
            message = String(reply[reply.index(after: space)...])
        } else {
            code = "ERR"
            message = reply
        }
    }

    public var description: String { "\(code) \(message)" }
}
