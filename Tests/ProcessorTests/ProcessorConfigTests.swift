import Testing

@testable import Processor

@Suite struct ProcessorConfigTests {
    private func parse(
        _ arguments: [String], _ environment: [String: String] = [:]
    ) throws(ProcessorConfigError)
        -> ProcessorConfig
    {
        guard case .run(let config) = try ProcessorConfig.parse(arguments: arguments, environment: environment) else {
            throw ProcessorConfigError(description: "help")
        }
        return config
    }

    @Test func defaults() throws {
        let config = try parse([])
        #expect(config.stream == "telemetry:events" && config.group == "telemetry-processor")
        #expect(config.batch == 5000 && config.flushInterval == .seconds(1) && config.claimIdle == .seconds(30))
        #expect(config.maxDeliveries == 5 && config.deadLetterStream == "telemetry:events:dead" && config.port == 8081)
        #expect(config.sinkAPI == .v1(database: "telemetry", token: nil))
        #expect(config.influx == InfluxURL(host: "127.0.0.1", port: 8086))
    }

    /// Flags win over TELEMETRY_PROCESSOR_<NAME> variables.
    @Test func environmentAndFlags() throws {
        let config = try parse(
            ["--batch=100", "--tag-keys", "site,room", "--trim-processed", "--influx", "http://influx:8086/"],
            [
                "TELEMETRY_PROCESSOR_BATCH": "7", "TELEMETRY_PROCESSOR_CLAIM_IDLE": "0.5",
                "TELEMETRY_PROCESSOR_STREAM": "s",
            ])
        #expect(config.batch == 100 && config.claimIdle == .milliseconds(500) && config.stream == "s")
        #expect(config.tagKeys == ["site", "room"] && config.trimProcessed)
        #expect(config.influx == InfluxURL(host: "influx", port: 8086) && config.deadLetterStream == "s:dead")
    }

    @Test func v2() throws {
        let config = try parse(["--influx-org", "acme", "--influx-bucket", "tele", "--influx-token", "secret"])
        #expect(config.sinkAPI == .v2(org: "acme", bucket: "tele", token: "secret"))
    }

    @Test(arguments: [
        ["--batch", "0"], ["--batch", "x"], ["--flush-interval", "-1"], ["--influx", "https://x"], ["--port", "70000"],
        ["--host", "localhost"], ["--nope"], ["--stream", ""], ["--influx-org", "a"], ["--trim-processed", "maybe"],
        ["--log-level", "loud"], ["--batch"], ["stray"],
    ])
    func badValues(arguments: [String]) {
        #expect(throws: ProcessorConfigError.self) { try parse(arguments) }
    }

    @Test func badEnvironmentNamesTheVariable() {
        do {
            _ = try parse([], ["TELEMETRY_PROCESSOR_MAX_DELIVERIES": "0"])
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("TELEMETRY_PROCESSOR_MAX_DELIVERIES: "))
        }
    }
}
