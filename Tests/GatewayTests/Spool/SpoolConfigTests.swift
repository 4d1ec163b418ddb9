import Testing

@testable import Gateway

/// `--spool-dir` and `--spool-max-bytes`, and their `TELEMETRY_` variables, like every other flag.
@Suite struct SpoolConfigTests {
    private func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> GatewayConfig {
        guard case .run(let config) = try GatewayConfig.parse(arguments: arguments, environment: environment) else {
            throw ConfigError(description: "expected a configuration")
        }
        return config
    }

    /// Off by default, 1 GiB when on.
    @Test func offByDefault() throws {
        let config = try parse([])
        #expect(config.spoolDirectory == nil)
        #expect(config.spoolMaxBytes == 1 << 30)
    }

    /// Flags, variables, and flags winning over variables.
    @Test func flagsAndEnvironment() throws {
        let flags = try parse(["--spool-dir", "/var/spool/telemetry", "--spool-max-bytes=65536"])
        #expect(flags.spoolDirectory == "/var/spool/telemetry")
        #expect(flags.spoolMaxBytes == 65_536)
        let environment = ["TELEMETRY_SPOOL_DIR": "/srv/spool", "TELEMETRY_SPOOL_MAX_BYTES": "1048576"]
        let variables = try parse([], environment)
        #expect(variables.spoolDirectory == "/srv/spool")
        #expect(variables.spoolMaxBytes == 1 << 20)
        #expect(try parse(["--spool-dir", "/a"], environment).spoolDirectory == "/a")
    }

    /// An empty directory or a limit below one page is refused with a message naming the flag.
    @Test func refusesBadValues() {
        #expect(throws: ConfigError(description: "--spool-dir: must not be empty")) { try parse(["--spool-dir", ""]) }
        #expect(throws: ConfigError.self) { try parse(["--spool-max-bytes", "100"]) }
        #expect(throws: ConfigError.self) { try parse([], ["TELEMETRY_SPOOL_MAX_BYTES": "lots"]) }
    }
}
