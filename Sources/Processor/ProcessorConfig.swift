import Gateway
import Glibc
import Reactor
import RespClient

/// Everything the processor can be told, from flags or `TELEMETRY_PROCESSOR_<NAME>` variables (flags win).
public struct ProcessorConfig: Sendable {
    public var redis = RedisURL()
    public var stream = "telemetry:events"
    public var group = "telemetry-processor"
    /// Unique per process by default, so a restarted processor is a new consumer and the old one's pending entries
    /// are claimed after `claimIdle`; set it explicitly to resume a crashed consumer's pending entries at once.
    public var consumer = ProcessorConfig.defaultConsumerName
    public var influx = InfluxURL(host: "127.0.0.1", port: 8086)
    public var influxDatabase = "telemetry"
    public var influxOrg: String?
    public var influxBucket: String?
    public var influxToken: String?
    public var measurement = "telemetry"
    /// Metadata keys written as tags; every other metadata key becomes a field, so that a high-cardinality value
    /// (a request id, a free-text note) never creates a series per event unless asked for.
    public var tagKeys: [String] = []
    /// Points per InfluxDB write. InfluxDB's own guidance is 5,000 to 10,000 points per request.
    public var batch = 5_000
    /// The longest an entry waits in a partial batch before the batch is written.
    public var flushInterval: Duration = .seconds(1)
    /// Entries pending this long with another consumer are claimed (that consumer is presumed dead).
    public var claimIdle: Duration = .seconds(30)
    public var maxDeliveries = 5
    public var deadLetter: String?
    public var trimProcessed = false
    public var host = "0.0.0.0"
    public var port = 8081
    public var logLevel = LogLevel.info

    public init() {}

    /// The dead-letter stream: `--dead-letter`, else `<stream>:dead`.
    public var deadLetterStream: String { deadLetter ?? stream + ":dead" }

    /// v2 (`/api/v2/write`, token auth) when an org or bucket is given, else v1 (`/write?db=`).
    public var sinkAPI: InfluxAPI {
        if let influxBucket {
            return .v2(org: influxOrg ?? "", bucket: influxBucket, token: influxToken)
        }
        return .v1(database: influxDatabase, token: influxToken)
    }

    static var defaultConsumerName: String {
        var name = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "processor"
        return "\(host)-\(getpid())"
    }
}

/// Which InfluxDB write API to use.
public enum InfluxAPI: Sendable, Equatable {
    case v1(database: String, token: String?)
    case v2(org: String, bucket: String, token: String?)

    /// For logs: never the token.
    var logDescription: String {
        switch self {
        case .v1(let database, _): "v1 db=\(database)"
        case .v2(let org, let bucket, _): "v2 org=\(org) bucket=\(bucket)"
        }
    }
}

/// `http://host:port` of InfluxDB (no TLS: the processor and InfluxDB share a private network).
public struct InfluxURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init(parsing text: String) throws(ProcessorConfigError) {
        let bad = ProcessorConfigError(description: "--influx: expected http://host:port, got \"\(text)\"")
        guard text.hasPrefix("http://") else { throw bad }
        var rest = Substring(text.dropFirst(7))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { throw bad }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : 80
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...]) ?? -1
        } else {
            host = String(rest)
            port = 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw bad }
    }

    public var description: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }
}

extension ProcessorConfig {
    public enum Parsed: Sendable {
        case run(ProcessorConfig)
        case help
    }

    private struct Option: Sendable {
        let name: String
        let value: String
        let help: String
        let apply: @Sendable (inout ProcessorConfig, String) throws(ProcessorConfigError) -> Void
    }

    private static func nonEmpty(_ text: String, _ flag: String) throws(ProcessorConfigError) -> String {
        guard !text.isEmpty else { throw ProcessorConfigError(description: "--\(flag): must not be empty") }
        return text
    }

    private static let options: [Option] = [
        Option(name: "redis", value: "URL", help: "redis://[user:password@]host:port[/db] [redis://127.0.0.1:6379]") {
            config, text throws(ProcessorConfigError) in
            do { config.redis = try RedisURL(parsing: text) } catch {
                throw ProcessorConfigError(description: "--redis: \(error)")
            }
        },
        Option(name: "stream", value: "KEY", help: "Redis stream to read [telemetry:events]") {
            c, t throws(ProcessorConfigError) in
            c.stream = try nonEmpty(t, "stream")
        },
        Option(name: "group", value: "NAME", help: "consumer group [telemetry-processor]") {
            c, t throws(ProcessorConfigError) in
            c.group = try nonEmpty(t, "group")
        },
        Option(name: "consumer", value: "NAME", help: "consumer name in the group [hostname-pid]") {
            c, t throws(ProcessorConfigError) in
            c.consumer = try nonEmpty(t, "consumer")
        },
        Option(name: "influx", value: "URL", help: "InfluxDB base URL [http://127.0.0.1:8086]") {
            c, t throws(ProcessorConfigError) in
            c.influx = try InfluxURL(parsing: t)
        },
        Option(name: "influx-db", value: "NAME", help: "v1 database [telemetry]") { c, t throws(ProcessorConfigError) in
            c.influxDatabase = try nonEmpty(t, "influx-db")
        },
        Option(name: "influx-org", value: "NAME", help: "v2 organization (selects the v2 API with --influx-bucket)") {
            c, t throws(ProcessorConfigError) in c.influxOrg = try nonEmpty(t, "influx-org")
        },
        Option(name: "influx-bucket", value: "NAME", help: "v2 bucket (selects /api/v2/write)") {
            c, t throws(ProcessorConfigError) in
            c.influxBucket = try nonEmpty(t, "influx-bucket")
        },
        Option(name: "influx-token", value: "TOKEN", help: "sent as Authorization: Token ... [none]") {
            c, t throws(ProcessorConfigError) in
            c.influxToken = try nonEmpty(t, "influx-token")
        },
        Option(name: "measurement", value: "NAME", help: "InfluxDB measurement [telemetry]") {
            c, t throws(ProcessorConfigError) in
            c.measurement = try nonEmpty(t, "measurement")
        },
        Option(name: "tag-keys", value: "K1,K2", help: "metadata keys written as tags; the rest are fields [none]") {
            c, t throws(ProcessorConfigError) in
            c.tagKeys = t.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
        },
        Option(name: "batch", value: "N", help: "points per InfluxDB write [5000]") {
            c, t throws(ProcessorConfigError) in
            c.batch = try integer(t, flag: "batch", in: 1...100_000)
        },
        Option(name: "flush-interval", value: "SECONDS", help: "longest wait before a partial batch is written [1]") {
            c, t throws(ProcessorConfigError) in c.flushInterval = try duration(t, flag: "flush-interval")
        },
        Option(name: "claim-idle", value: "SECONDS", help: "claim other consumers' entries pending this long [30]") {
            c, t throws(ProcessorConfigError) in c.claimIdle = try duration(t, flag: "claim-idle")
        },
        Option(name: "max-deliveries", value: "N", help: "deliveries before an entry is dead-lettered [5]") {
            c, t throws(ProcessorConfigError) in
            c.maxDeliveries = try integer(t, flag: "max-deliveries", in: 1...1_000_000)
        },
        Option(name: "dead-letter", value: "KEY", help: "dead-letter stream [<stream>:dead]") {
            c, t throws(ProcessorConfigError) in
            c.deadLetter = try nonEmpty(t, "dead-letter")
        },
        Option(name: "trim-processed", value: "BOOL", help: "XTRIM MINID entries the group no longer needs [false]") {
            c, t throws(ProcessorConfigError) in
            switch t.lowercased() {
            case "true", "1", "yes", "on": c.trimProcessed = true
            case "false", "0", "no", "off": c.trimProcessed = false
            default: throw ProcessorConfigError(description: "--trim-processed: expected true or false, got \"\(t)\"")
            }
        },
        Option(name: "host", value: "ADDR", help: "address of /health, /ready, /metrics [0.0.0.0]") {
            c, t throws(ProcessorConfigError) in
            guard SocketAddress(numericHost: t, port: 0) != nil else {
                throw ProcessorConfigError(description: "--host: expected a numeric IPv4 or IPv6 address, got \"\(t)\"")
            }
            c.host = t
        },
        Option(name: "port", value: "N", help: "port of /health, /ready, /metrics [8081]") {
            c, t throws(ProcessorConfigError) in
            c.port = try integer(t, flag: "port", in: 0...65535)
        },
        Option(name: "log-level", value: "LEVEL", help: "debug, info, warn or error [info]") {
            c, t throws(ProcessorConfigError) in
            guard let level = LogLevel(rawValue: t.lowercased()) else {
                throw ProcessorConfigError(
                    description: "--log-level: expected debug, info, warn or error, got \"\(t)\"")
            }
            c.logLevel = level
        },
    ]

    /// `--trim-processed` alone (no value) means true, as a switch would.
    private static let switches: Set<String> = ["trim-processed"]

    /// Reads `TELEMETRY_PROCESSOR_<NAME>` variables first, then the flags (`--name value` or `--name=value`).
    public static func parse(arguments: [String], environment: [String: String]) throws(ProcessorConfigError) -> Parsed
    {
        var config = ProcessorConfig()
        for option in options {
            let variable = "TELEMETRY_PROCESSOR_" + String(option.name.uppercased().map { $0 == "-" ? "_" : $0 })
            if let value = environment[variable] {
                do {
                    try option.apply(&config, value)
                } catch {
                    throw ProcessorConfigError(description: "\(variable): \(error.description)")
                }
            }
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            guard argument.hasPrefix("--") else {
                throw ProcessorConfigError(description: "unexpected argument \"\(argument)\" (see --help)")
            }
            var name = String(argument.dropFirst(2))
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = options.first(where: { $0.name == name }) else {
                throw ProcessorConfigError(description: "unknown flag --\(name) (see --help)")
            }
            if value == nil {
                if switches.contains(name) && (index >= arguments.count || arguments[index].hasPrefix("--")) {
                    value = "true"
                } else {
                    guard index < arguments.count else {
                        throw ProcessorConfigError(description: "--\(name) needs a value")
                    }
                    value = arguments[index]
                    index += 1
                }
            }
            try option.apply(&config, value!)
        }
        if (config.influxOrg == nil) != (config.influxBucket == nil) {
            throw ProcessorConfigError(
                description: "--influx-org and --influx-bucket go together (the v2 API needs both)")
        }
        return .run(config)
    }

    public static var usage: String {
        var text = """
            Usage: telemetry-processor [flags]

            Reads telemetry events from a Redis stream through a consumer group and writes them to InfluxDB.
            Every flag can also be set as an environment variable TELEMETRY_PROCESSOR_<NAME>.
            Durations are in seconds (decimals allowed).

            Flags:

            """
        for option in options {
            let left = "  --\(option.name) \(option.value)"
            text += left + String(repeating: " ", count: max(1, 34 - left.count)) + option.help + "\n"
        }
        text += "  --help" + String(repeating: " ", count: 26) + "show this help\n"
        return text
    }

    private static func integer(
        _ text: String, flag: String, in range: ClosedRange<Int>
    ) throws(ProcessorConfigError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ProcessorConfigError(
                description: "--\(flag): expected an integer \(range.lowerBound)...\(range.upperBound), got \"\(text)\""
            )
        }
        return value
    }

    private static func duration(_ text: String, flag: String) throws(ProcessorConfigError) -> Duration {
        guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw ProcessorConfigError(description: "--\(flag): expected seconds > 0 (e.g. 1 or 0.5), got \"\(text)\"")
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

/// A flag or value the processor cannot use; printed as one line before exiting with status 2.
public struct ProcessorConfigError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
