import Foundation
import Glibc

struct Measurement {
    var client: String
    var connections: String
    var pipeline: String
    var operations: Int
    var opsPerSecond: Double
    /// CPU of the client divided by wall time, in cores.
    var clientCores: Double
    var serverCores: Double
    /// Busy CPU of every other process on the machine during the run, in cores.
    var otherCores: Double
}

/// One redis-benchmark run: its own ops/s figure, its CPU (it is a waited-for child), and the server's.
func redisBenchmark(
    _ redis: PrivateRedis, clients: Int, pipeline: Int = 64, count: Int, body: String
) -> (Measurement, String) {
    let arguments = [
        "-h", "127.0.0.1", "-p", String(redis.port), "-c", String(clients), "-P", String(pipeline),
        "-n", String(count), "-q",
        "xadd", streamKey, "*", "data", body,
    ]
    let window = CPUWindow(client: { cpuSeconds(RUSAGE_CHILDREN.rawValue) }, redis: redis)
    let started = monotonicSeconds()
    let output: String
    do { output = try run(which("redis-benchmark"), arguments) } catch { fail("redis-benchmark: \(error)") }
    let cores = window.cores(over: monotonicSeconds() - started)
    // -q prints progress lines separated by CR, then "<command>: <n> requests per second, p50=…".
    let summary = output.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        .last { $0.contains("requests per second") }
    guard let summary, let range = summary.range(of: " requests per second"),
        let rate = Double(summary[..<range.lowerBound].split(separator: " ").last ?? "")
    else { fail("cannot read redis-benchmark's output:\n\(output)") }
    let measurement = Measurement(
        client: "redis-benchmark", connections: String(clients), pipeline: "-P \(pipeline)", operations: count,
        opsPerSecond: rate, clientCores: cores.client, serverCores: cores.server, otherCores: cores.others)
    let shown = arguments.map { $0 == body ? "'<body, \(body.utf8.count) B>'" : ($0 == "*" ? "'*'" : $0) }
    return (measurement, "redis-benchmark " + shown.joined(separator: " "))
}
