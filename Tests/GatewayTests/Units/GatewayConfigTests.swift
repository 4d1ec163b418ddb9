import Testing

@testable import Gateway

/// `GatewayConfig.parse`: flags, `TELEMETRY_*` variables, precedence, and one-line errors for bad values.
@Suite struct GatewayConfigTests {
    private static func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> GatewayConfig {
        guard case .run(let config) = try GatewayConfig.parse(arguments: arguments, environment: environment) else {
            throw ConfigError(description: "expected a configuration, got help")
        }
        return config
    }

    private static func error(_ arguments: [String], _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try GatewayConfig.parse(arguments: arguments, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }

    /// No flags: the documented defaults.
    @Test func defaults() throws {
        let config = try Self.parse([])
        #expect(config.host == "0.0.0.0" && config.port == 8080)
        #expect(config.stream == "telemetry:events" && config.streamMaxLength == nil && config.streamShards == nil)
        #expect(config.queueSize == 65_536 && config.maxBatch == 1_000 && config.maxBody == 1 << 20)
        #expect(config.headerTimeout == .seconds(10) && config.redisTimeout == .seconds(1))
        #expect(config.adminToken == nil && config.maxConnections == 0)
    }

    /// `--name value` and `--name=value` both work; durations take decimals; the log level ignores case.
    @Test func flagsInBothForms() throws {
        let config = try Self.parse([
            "--port", "9000", "--host=127.0.0.1", "--stream-maxlen=5000", "--workers", "3", "--idle-timeout", "0.5",
            "--admin-token", "s3cret", "--log-level", "WARN", "--max-connections=10",
        ])
        #expect(config.port == 9000 && config.host == "127.0.0.1")
        #expect(config.streamMaxLength == 5000 && config.workers == 3)
        #expect(config.idleTimeout == .milliseconds(500))
        #expect(config.adminToken == "s3cret" && config.logLevel == .warn && config.maxConnections == 10)
    }

    /// Every flag can come from `TELEMETRY_<NAME>` (dashes become underscores); a flag wins over its variable.
    @Test func environmentAndPrecedence() throws {
        let environment = [
            "TELEMETRY_PORT": "7000", "TELEMETRY_ADMIN_TOKEN": "from-env", "TELEMETRY_QUEUE_SIZE": "128",
            "TELEMETRY_DRAIN_TIMEOUT": "2", "UNRELATED": "x",
        ]
        let fromEnvironment = try Self.parse([], environment)
        #expect(fromEnvironment.port == 7000 && fromEnvironment.adminToken == "from-env")
        #expect(fromEnvironment.queueSize == 128 && fromEnvironment.drainTimeout == .seconds(2))
        let overridden = try Self.parse(["--port", "7001"], environment)
        #expect(overridden.port == 7001 && overridden.adminToken == "from-env")
        let cluster = try Self.parse([], ["TELEMETRY_STREAM_SHARDS": "16", "TELEMETRY_REDIS": "redis://a:1,b:2"])
        #expect(cluster.streamShards == 16 && cluster.redis.seeds.count == 2)
    }

    /// `--help` and `-h` ask for the usage text, which lists every flag.
    @Test func help() throws {
        guard case .help = try GatewayConfig.parse(arguments: ["--port", "1", "-h"], environment: [:]) else {
            Issue.record("expected help")
            return
        }
        #expect(GatewayConfig.usage.contains("--max-connections N"))
        #expect(GatewayConfig.usage.contains("--help"))
    }

    /// Bad values are refused with one line naming the flag (or the variable), what was expected and what was given.
    @Test func badValuesAreErrors() {
        #expect(Self.error(["--port", "65536"]) == #"--port: expected an integer 0...65535, got "65536""#)
        #expect(Self.error(["--port", "http"]) == #"--port: expected an integer 0...65535, got "http""#)
        #expect(Self.error(["--stream-maxlen", "0"]) == #"--stream-maxlen: expected an integer at least 1, got "0""#)
        #expect(
            Self.error(["--header-timeout", "0"])
                == #"--header-timeout: expected seconds > 0 (e.g. 10 or 0.5), got "0""#)
        #expect(Self.error(["--body-timeout", "nan"]) != nil)
        #expect(
            Self.error(["--host", "localhost"]) == #"--host: expected a numeric IPv4 or IPv6 address, got "localhost""#)
        #expect(Self.error(["--stream", ""]) == "--stream: must not be empty")
        #expect(Self.error(["--stream-shards", "0"]) == #"--stream-shards: expected an integer 1...1024, got "0""#)
        #expect(
            Self.error(["--stream-shards", "4", "--spool-dir", "/tmp/s"])?.hasPrefix("--stream-shards: must be 1")
                == true)
        #expect(Self.error(["--admin-token="]) == "--admin-token: must not be empty")
        #expect(Self.error(["--log-level", "loud"]) != nil)
        #expect(Self.error(["--redis", "http://x"])?.hasPrefix("--redis: ") == true)
        #expect(Self.error(["--colour"]) == "unknown flag --colour (see --help)")
        #expect(Self.error(["--port"]) == "--port needs a value")
        #expect(Self.error(["serve"]) == #"unexpected argument "serve" (see --help)"#)
        #expect(Self.error([], ["TELEMETRY_PORT": "x"]) == #"TELEMETRY_PORT: expected an integer 0...65535, got "x""#)
        #expect(
            Self.error([], ["TELEMETRY_WORKERS": "0"]) == #"TELEMETRY_WORKERS: expected an integer 1...256, got "0""#)
    }
}
