import Foundation
import Glibc
import TestSupport

@testable import Processor

/// A private `influxd` (Debian's `influxdb` package, the 1.x API) for one test: free ports, a temporary directory,
/// no reporting, no internal monitoring. It can be stopped and started again on the same port and data, to test
/// what the processor does while InfluxDB is down.
final class InfluxDBProcess: @unchecked Sendable {
    let port: Int
    let database: String
    private let rpcPort: Int
    private let directory: String
    private var process: ManagedProcess?

    init(database: String = "telemetry") throws {
        guard TestEnvironment.which("influxd") != nil else {
            throw HarnessError(
                "influxd is not on PATH; these tests need a real InfluxDB 1.x (scripts/test installs it, or: "
                    + "apt-get install influxdb)")
        }
        self.database = database
        directory = TestEnvironment.temporaryDirectory("influxd")
        port = try TestEnvironment.freePort()
        rpcPort = try TestEnvironment.freePort()
        let config = """
            reporting-disabled = true
            bind-address = "127.0.0.1:\(rpcPort)"
            [meta]
              dir = "\(directory)/meta"
            [data]
              dir = "\(directory)/data"
              wal-dir = "\(directory)/wal"
              query-log-enabled = false
            [http]
              bind-address = "127.0.0.1:\(port)"
              log-enabled = false
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            """
        try config.write(toFile: directory + "/influxdb.conf", atomically: true, encoding: .utf8)
        try start()
        _ = try query("CREATE DATABASE \"\(database)\"")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts influxd and waits until /ping answers 204.
    func start() throws {
        let process = try ManagedProcess(
            executable: TestEnvironment.which("influxd")!, arguments: ["-config", directory + "/influxdb.conf"],
            logPath: directory + "/influxd.log")
        self.process = process
        let port = self.port
        let up = waitUntil(timeout: .seconds(30)) {
            // 204 without Content-Length: read as a bodyless response.
            guard process.isRunning, let client = try? RawHTTPClient(port: port, timeout: .seconds(2)),
                (try? client.send(RequestText.make("GET", "/ping", headers: [], body: nil))) != nil,
                let response = try? client.readResponse(bodyless: true)
            else { return !process.isRunning }
            return response.status == 204
        }
        guard up, process.isRunning else {
            throw HarnessError("influxd did not start on port \(port):\n\(process.log)")
        }
    }

    /// Stops influxd with SIGTERM (what `systemctl stop` does) and waits for it to exit.
    func stop() {
        guard let process else { return }
        process.signal(SIGTERM)
        if process.waitForExit(timeout: .seconds(15)) == nil {
            process.signal(SIGKILL)
            _ = process.waitForExit(timeout: .seconds(5))
        }
        self.process = nil
    }

    /// Runs an InfluxQL statement and returns the decoded JSON.
    func query(_ statement: String) throws -> [String: Any] {
        let encoded = statement.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? statement
        // InfluxDB answers queries chunked: ask it to close, read to the end, parse with the processor's parser.
        let client = try RawHTTPClient(port: port, timeout: .seconds(20))
        try client.send(
            "POST /query?db=\(database)&q=\(encoded) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n")
        let (_, bytes) = client.readToEnd()
        guard case .complete(let response, _, _) = HTTPClientResponseParser().parse(bytes, peerClosed: true) else {
            throw HarnessError("query \(statement): unreadable response \(String(decoding: bytes, as: UTF8.self))")
        }
        guard response.status == 200,
            let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { throw HarnessError("query \(statement) failed: \(response.status) \(response.bodyText)") }
        return json
    }

    /// The rows of the first series of the first result, [] when there is none.
    func rows(_ statement: String) throws -> [[Any]] {
        let json = try query(statement)
        guard let results = json["results"] as? [[String: Any]],
            let series = results.first?["series"] as? [[String: Any]],
            let values = series.first?["values"] as? [[Any]]
        else { return [] }
        return values
    }

    /// `count(value)` over the measurement: the number of distinct points.
    func count(measurement: String = "telemetry") throws -> Int {
        let rows = try rows("SELECT count(value) FROM \"\(measurement)\"")
        return (rows.first?[1] as? NSNumber)?.intValue ?? 0
    }
}
