import Glibc
import Reactor
import RespClient

/// Everything the gateway can be told, from flags or `TELEMETRY_<NAME>` environment variables (flags win).
public struct GatewayConfig: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    public var redis = RedisURL()
    public var stream = "telemetry:events"
    /// Shards of the stream (`StreamShards`); nil: 1 on a standalone Redis, `StreamShards.clusterDefaultCount` in a
    /// cluster.
    public var streamShards: Int?
    /// Approximate cap on the stream length (`XADD MAXLEN ~ n`); nil keeps every event until a consumer trims.
    public var streamMaxLength: Int?
    /// Consumer threads that decode, validate and encode; default one per core.
    public var workers = GatewayConfig.coreCount
    /// Events admitted but not yet answered (queued, being validated, or awaiting Redis). Beyond it: 503 at once.
    public var queueSize = 65_536
    /// Share of `queueSize` that only requests made entirely of HIGH-priority events may use, so they are shed last.
    public var highPriorityReserve = 0.1
    public var maxBatch = 1_000
    public var maxBody = 1 << 20
    /// Bytes a gzip or deflate body may inflate to. 4 MiB is four default `--max-body`s of JSON, more than the
    /// 1,000-event `--max-batch` ever needs, and small enough that a decompression bomb costs a consumer at most that.
    public var maxDecodedBody = 4 << 20
    public var maxConnections = 0
    public var headerTimeout: Duration = .seconds(10)
    public var bodyTimeout: Duration = .seconds(30)
    public var idleTimeout: Duration = .seconds(60)
    public var redisTimeout: Duration = .seconds(1)
    /// How long SIGTERM/SIGINT waits for requests in flight before closing what is left.
    public var drainTimeout: Duration = .seconds(10)
    public var adminToken: String?
    public var logLevel = LogLevel.info
    /// Where the disk spool keeps requests Redis cannot take (created when missing); nil turns the spool off.
    public var spoolDirectory: String?
    /// The spool's size on disk, segment files included, before new requests get 503 `spool full`. 1 GiB holds
    /// about 3.5 million typical events: an hour of 1,000 events/s.
    public var spoolMaxBytes = 1 << 30

    public init() {}

    static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// A flag or value the gateway cannot use; printed as one line before exiting with status 2.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

extension GatewayConfig {
    /// The outcome of reading the command line: a configuration to run, or a request for help.
    public enum Parsed: Sendable {
        case run(GatewayConfig)
        case help
    }

    private struct Option: Sendable {
        let name: String
        let value: String
        let help: String
        let apply: @Sendable (inout GatewayConfig, String) throws(ConfigError) -> Void
    }

    private static let options: [Option] = [
        Option(name: "host", value: "ADDR", help: "listen address [0.0.0.0]") { config, text throws(ConfigError) in
            guard SocketAddress(numericHost: text, port: 0) != nil else {
                throw ConfigError(description: "--host: expected a numeric IPv4 or IPv6 address, got \"\(text)\"")
            }
            config.host = text
        },
        Option(name: "port", value: "N", help: "listen port [8080]") { config, text throws(ConfigError) in
            config.port = try integer(text, flag: "port", in: 0...65535)
        },
        Option(
            name: "redis", value: "URL",
            help: "redis://[user:password@]host:port[,host:port...][/db], cluster seeds comma-separated "
                + "[redis://127.0.0.1:6379]"
        ) {
            config, text throws(ConfigError) in
            do {
                config.redis = try RedisURL(parsing: text)
            } catch {
                throw ConfigError(description: "--redis: \(error)")
            }
        },
        Option(name: "stream", value: "KEY", help: "Redis stream key [telemetry:events]") {
            config, text throws(ConfigError) in
            guard !text.isEmpty else { throw ConfigError(description: "--stream: must not be empty") }
            config.stream = text
        },
        Option(name: "stream-shards", value: "N", help: "stream shards <stream>:{n}, by device [1; 16 in a cluster]") {
            config, text throws(ConfigError) in
            config.streamShards = try integer(text, flag: "stream-shards", in: 1...StreamShards.maximumCount)
        },
        Option(name: "stream-maxlen", value: "N", help: "approximate stream length cap, XADD MAXLEN ~ N [off]") {
            config, text throws(ConfigError) in
            config.streamMaxLength = try integer(text, flag: "stream-maxlen", in: 1...Int.max)
        },
        Option(name: "workers", value: "N", help: "consumer threads [number of cores]") {
            config, text throws(ConfigError) in
            config.workers = try integer(text, flag: "workers", in: 1...256)
        },
        Option(name: "queue-size", value: "N", help: "events admitted and not yet answered [65536]") {
            config, text throws(ConfigError) in
            config.queueSize = try integer(text, flag: "queue-size", in: 1...(1 << 24))
        },
        Option(name: "max-batch", value: "N", help: "events per request [1000]") { config, text throws(ConfigError) in
            config.maxBatch = try integer(text, flag: "max-batch", in: 1...100_000)
        },
        Option(name: "max-body", value: "BYTES", help: "request body limit [1048576]") {
            config, text throws(ConfigError) in
            config.maxBody = try integer(text, flag: "max-body", in: 1...(1 << 30))
        },
        Option(name: "max-decoded-body", value: "BYTES", help: "inflated size limit of gzip/deflate bodies [4194304]") {
            config, text throws(ConfigError) in
            config.maxDecodedBody = try integer(text, flag: "max-decoded-body", in: 1...(1 << 30))
        },
        Option(name: "max-connections", value: "N", help: "open connections before new ones get 503 [0 = no limit]") {
            config, text throws(ConfigError) in
            config.maxConnections = try integer(text, flag: "max-connections", in: 0...Int(Int32.max))
        },
        Option(name: "header-timeout", value: "SECONDS", help: "time to receive a request head [10]") {
            config, text throws(ConfigError) in
            config.headerTimeout = try duration(text, flag: "header-timeout")
        },
        Option(name: "body-timeout", value: "SECONDS", help: "time to receive a request body [30]") {
            config, text throws(ConfigError) in
            config.bodyTimeout = try duration(text, flag: "body-timeout")
        },
        Option(name: "idle-timeout", value: "SECONDS", help: "idle keep-alive connections are closed after [60]") {
            config, text throws(ConfigError) in
            config.idleTimeout = try duration(text, flag: "idle-timeout")
        },
        Option(name: "redis-timeout", value: "SECONDS", help: "Redis command timeout [1]") {
            config, text throws(ConfigError) in
            config.redisTimeout = try duration(text, flag: "redis-timeout")
        },
        Option(name: "drain-timeout", value: "SECONDS", help: "on SIGTERM, time to finish requests in flight [10]") {
            config, text throws(ConfigError) in
            config.drainTimeout = try duration(text, flag: "drain-timeout")
        },
        Option(name: "admin-token", value: "TOKEN", help: "bearer token for POST /start and /stop [none: both refused]")
        {
            config, text throws(ConfigError) in
            guard !text.isEmpty else { throw ConfigError(description: "--admin-token: must not be empty") }
            config.adminToken = text
        },
        Option(name: "spool-dir", value: "DIR", help: "disk spool for when Redis is down or stalled [off]") {
            config, text throws(ConfigError) in
            guard !text.isEmpty else { throw ConfigError(description: "--spool-dir: must not be empty") }
            config.spoolDirectory = text
        },
        Option(name: "spool-max-bytes", value: "BYTES", help: "spool size limit [1073741824]") {
            config, text throws(ConfigError) in
            config.spoolMaxBytes = try integer(text, flag: "spool-max-bytes", in: 4096...(1 << 50))
        },
        Option(name: "log-level", value: "LEVEL", help: "debug, info, warn or error [info]") {
            config, text throws(ConfigError) in
            guard let level = LogLevel(rawValue: text.lowercased()) else {
                throw ConfigError(description: "--log-level: expected debug, info, warn or error, got \"\(text)\"")
            }
            config.logLevel = level
        },
    ]

    /// Reads `TELEMETRY_<NAME>` variables first, then the flags (`--name value` or `--name=value`).
    public static func parse(arguments: [String], environment: [String: String]) throws(ConfigError) -> Parsed {
        var config = GatewayConfig()
        for option in options {
            let variable = "TELEMETRY_" + option.name.uppercased().replacingOccurrences("-", with: "_")
            if let value = environment[variable] {
                do {
                    try option.apply(&config, value)
                } catch {
                    throw ConfigError(description: "\(variable): \(error.description.droppingFlagPrefix)")
                }
            }
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            guard argument.hasPrefix("--") else {
                throw ConfigError(description: "unexpected argument \"\(argument)\" (see --help)")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.name == name }) else {
                throw ConfigError(description: "unknown flag --\(name) (see --help)")
            }
            if value == nil {
                guard index < arguments.count else { throw ConfigError(description: "--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            try option.apply(&config, value!)
        }
        // The spool replays into the stream key itself, so spooled events would land outside their device's shard.
        if config.spoolDirectory != nil, let shards = config.streamShards, shards > 1 {
            throw ConfigError(
                description: "--stream-shards: must be 1 with --spool-dir (the spool replays into one stream)")
        }
        return .run(config)
    }

    public static var usage: String {
        var text = """
            Usage: telemetry-gateway [flags]

            Accepts telemetry over HTTP and stores every event in a Redis stream before answering 200.
            Every flag can also be set as an environment variable TELEMETRY_<NAME> (e.g. TELEMETRY_ADMIN_TOKEN).
            Durations are in seconds (decimals allowed), sizes in bytes.

            Flags:

            """
        for option in options {
            let left = "  --\(option.name) \(option.value)"
            text += left.padding(toLength: 34) + option.help + "\n"
        }
        text += "  --help".padding(toLength: 34) + "show this help\n"
        return text
    }

    private static func integer(_ text: String, flag: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            let bounds =
                range.upperBound == Int.max
                ? "at least \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
            throw ConfigError(description: "--\(flag): expected an integer \(bounds), got \"\(text)\"")
        }
        return value
    }

    private static func duration(_ text: String, flag: String) throws(ConfigError) -> Duration {
        guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw ConfigError(description: "--\(flag): expected seconds > 0 (e.g. 10 or 0.5), got \"\(text)\"")
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }

    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }

    /// "--port: expected ..." becomes "expected ..." when the value came from an environment variable.
    fileprivate var droppingFlagPrefix: String {
        guard hasPrefix("--"), let colon = firstIndex(of: ":") else { return self }
        return String(self[index(after: colon)...]).trimmingLeadingSpace
    }

    fileprivate var trimmingLeadingSpace: String {
        String(drop { $0 == " " })
    }
}
