/// A cluster node's answer that a key lives elsewhere: `-MOVED <slot> <endpoint>` or `-ASK <slot> <endpoint>`.
///
/// `MOVED` means the slot now belongs to that node for good: the client updates its slot map and resends; the command
/// was not executed. `ASK` means the slot is migrating and this one key is already on the target: the client sends
/// `ASKING` and the command once to that node, without changing its map.
public struct ClusterRedirect: Equatable, Sendable {
    public enum Kind: Sendable { case moved, ask }

    public let kind: Kind
    public let slot: HashSlot
    /// Where to go. An empty host (Redis 7 sends `:port` when the node's endpoint is unknown) means the host of the
    /// node that answered, which `resolved(against:)` fills in.
    public let endpoint: ClusterEndpoint

    /// Reads a redirect from an error reply, or nil when the error is not one.
    public init?(_ error: RedisServerError) {
        switch error.code {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        let words = error.message.split(separator: " ")
        guard words.count == 2, let number = Int(words[0]), let slot = HashSlot(number),
            let endpoint = ClusterEndpoint(parsing: words[1])
        else { return nil }
        self.slot = slot
        self.endpoint = endpoint
    }

    public init(kind: Kind, slot: HashSlot, endpoint: ClusterEndpoint) {
        self.kind = kind
        self.slot = slot
        self.endpoint = endpoint
    }

    /// The redirect with an empty host replaced by the host of the node that sent it.
    public func resolved(against sender: ClusterEndpoint) -> ClusterRedirect {
        guard endpoint.host.isEmpty else { return self }
        return ClusterRedirect(
            kind: kind, slot: slot, endpoint: ClusterEndpoint(host: sender.host, port: endpoint.port))
    }
}

/// A node's host and port as the cluster names it.
public struct ClusterEndpoint: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, `[v6]:port` or `v6:port` (the port is after the last colon), or `:port`.
    public init?<Text: StringProtocol>(parsing text: Text) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port)
        else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        self.init(host: String(host), port: port)
    }

    /// In the form `RedisURL` and `getaddrinfo` take: IPv6 literals in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
