import RespClient
import Testing

@Suite struct RedisURLTests {
    struct Parsed: CustomTestStringConvertible, Sendable {
        var text: String
        var expected: RedisURL
        var testDescription: String { text }
    }

    static let valid: [Parsed] = [
        Parsed(text: "redis://localhost", expected: RedisURL(host: "localhost")),
        Parsed(text: "redis://127.0.0.1:6380", expected: RedisURL(host: "127.0.0.1", port: 6380)),
        Parsed(text: "redis://redis.internal:1/", expected: RedisURL(host: "redis.internal", port: 1)),
        Parsed(text: "redis://h:65535/15", expected: RedisURL(host: "h", port: 65535, database: 15)),
        Parsed(text: "redis://[::1]:6380", expected: RedisURL(host: "::1", port: 6380)),
        Parsed(text: "redis://[::1]", expected: RedisURL(host: "::1")),
        Parsed(text: "redis://:s3cret@h:6390", expected: RedisURL(host: "h", port: 6390, password: "s3cret")),
        Parsed(
            text: "redis://alice:secret@h/3",
            expected: RedisURL(host: "h", username: "alice", password: "secret", database: 3)),
        Parsed(text: "redis://s3cret@h", expected: RedisURL(host: "h", password: "s3cret")),
        Parsed(
            text: "redis://al%69ce:p%40ss%3Aw%2Fd@h",
            expected: RedisURL(host: "h", username: "alice", password: "p@ss:w/d")),
        Parsed(text: "redis://:p@ss@h", expected: RedisURL(host: "h", password: "p@ss")),
        Parsed(text: "redis://:%e2%82%AC@h", expected: RedisURL(host: "h", password: "€")),
        Parsed(text: "redis://alice:@h", expected: RedisURL(host: "h", username: "alice", password: "")),
        Parsed(text: "redis://[::1]:6380/0", expected: RedisURL(host: "::1", port: 6380)),
    ]

    /// Each accepted form yields exactly the host, port, credentials (percent-decoded) and database it spells.
    @Test(arguments: valid)
    func parsesValidURLs(_ case: Parsed) throws {
        #expect(try RedisURL(parsing: `case`.text) == `case`.expected)
    }

    static let invalid: [String] = [
        "http://h:6379",
        "h:6379",
        "redis://",
        "redis://:6379",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:",
        "redis://h:port",
        "redis://h/-1",
        "redis://h/db",
        "redis://h/3/4",
        "redis://[::1",
        "redis://[::1]:99999",
        "redis://[::1]junk",
        "redis://::1",
        "redis://:p%zz@h",
        "redis://:p%4@h",
        "redis://:p%@h",
    ]

    /// Malformed URLs are refused with a ParseError instead of connecting somewhere unintended.
    @Test(arguments: invalid)
    func rejectsMalformedURLs(_ text: String) {
        #expect(throws: RedisURL.ParseError.self) { try RedisURL(parsing: text) }
    }

    static let described: [(RedisURL, String)] = [
        (RedisURL(host: "h"), "redis://h:6379"),
        (RedisURL(host: "h", port: 6390, password: "s3cret"), "redis://:***@h:6390"),
        (RedisURL(host: "h", username: "alice", password: "secret", database: 3), "redis://alice:***@h:6379/3"),
        (RedisURL(host: "h", username: "alice"), "redis://alice@h:6379"),
        (RedisURL(host: "::1", port: 6380), "redis://[::1]:6380"),
    ]

    /// The printed form, used in logs and /status, masks the password and brackets IPv6 hosts.
    @Test(arguments: described)
    func descriptionMasksThePassword(_ url: RedisURL, _ expected: String) {
        #expect(url.description == expected)
        if let password = url.password { #expect(!url.description.contains(password)) }
    }

    /// A URL printed and parsed again keeps everything but the password.
    @Test func descriptionParsesBackWithoutThePassword() throws {
        let url = RedisURL(host: "::1", port: 6380, username: "alice", password: "secret", database: 2)
        let reparsed = try RedisURL(parsing: url.description)
        #expect(reparsed == RedisURL(host: "::1", port: 6380, username: "alice", password: "***", database: 2))
    }
}
