/// `redis://[[user]:password@]host[:port][,host[:port]...][/db]`, the form every Redis client accepts, with more
/// than one address when they are seed nodes of a Redis Cluster (or a standalone server named more than once).
///
/// `host` and `port` are the first address; `otherSeeds` holds the rest, which only `RedisRouter` uses: a single
/// `RedisConnection` connects to the first address.
public struct RedisURL: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The addresses after the first, in the order given.
    public var otherSeeds: [ClusterEndpoint] = []
    public var username: String?
    public var password: String?
    public var database: Int

    /// The port Redis listens on unless told otherwise (its IANA registration), used when the URL names none.
    public static let defaultPort = 6379

    public init(
        host: String = "127.0.0.1", port: Int = defaultPort, username: String? = nil, password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public init(parsing text: String) throws(ParseError) {
        guard text.hasPrefix("redis://") else {
            throw ParseError(description: "expected redis://[user:password@]host:port[/db], got \"\(text)\"")
        }
        var rest = Substring(text.dropFirst("redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : try Self.percentDecoded(user)
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                // "redis://secret@host" is the historical password-only form.
                password = try Self.percentDecoded(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw ParseError(description: "database must be a non-negative integer, got \"\(path)\"")
                }
                database = number
            }
        }
        let addresses = try rest.split(separator: ",", omittingEmptySubsequences: false).map {
            address throws(ParseError) in try Self.endpoint(address, in: text)
        }
        self.init(
            host: addresses[0].host, port: addresses[0].port, username: username, password: password,
            database: database)
        otherSeeds = Array(addresses.dropFirst())
    }

    /// Every address, the first one first.
    public var seeds: [ClusterEndpoint] { [ClusterEndpoint(host: host, port: port)] + otherSeeds }

    /// This URL's credentials and database with `endpoint` as its one address.
    public func pointing(to endpoint: ClusterEndpoint) -> RedisURL {
        RedisURL(host: endpoint.host, port: endpoint.port, username: username, password: password, database: database)
    }

    private static func endpoint(_ rest: Substring, in text: String) throws(ParseError) -> ClusterEndpoint {
        var host = String(rest)
        var port = Self.defaultPort
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError(description: "unterminated IPv6 host") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                port = try Self.port(after.dropFirst())
            } else if !after.isEmpty {
                throw ParseError(description: "unexpected \"\(after)\" after the IPv6 host")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = try Self.port(rest[rest.index(after: colon)...])
            // Without brackets the port of an IPv6 address cannot be told from its last group.
            guard !host.contains(":") else {
                throw ParseError(description: "an IPv6 host must be in brackets, got \"\(text)\"")
            }
        }
        guard !host.isEmpty else { throw ParseError(description: "missing host in \"\(text)\"") }
        return ClusterEndpoint(host: host, port: port)
    }

    /// The URL with the password masked, safe for logs and /status.
    public var description: String {
        var text = "redis://"
        if username != nil || password != nil {
            text += (username ?? "") + (password != nil ? ":***" : "") + "@"
        }
        text += seeds.map(\.description).joined(separator: ",")
        if database != 0 { text += "/\(database)" }
        return text
    }

    private static func port(_ text: Substring) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ParseError(description: "port must be 1-65535, got \"\(text)\"")
        }
        return port
    }

    private static func percentDecoded(_ text: Substring) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw ParseError(description: "bad percent-escape in credentials")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
