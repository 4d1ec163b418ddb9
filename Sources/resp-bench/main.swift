// resp-bench: XADD throughput of RedisConnection from one connection, next to redis-benchmark on the same
// private redis-server, with the CPU each client spends. Run through scripts/resp-bench (release build).
//
// Usage: resp-bench [--count N] [--producers N] [--in-flight N] [--batch N] [--body PATH] [--commit TEXT]
//                   [--baseline no]

import Foundation
import Glibc

func clearStream(_ redis: PrivateRedis) {
    _ = try? redis.cli("DEL", streamKey)
}

func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var text = ""
    for (index, digit) in digits.reversed().enumerated() {
        if index > 0 && index % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return String(text.reversed())
}

func fixed(_ value: Double, _ places: Int = 2) -> String {
    String(format: "%.\(places)f", value)
}

/// The 1-minute load average: the machine is shared, so a reader must know whether others were busy.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
    return String(text.split(separator: " ").first ?? "?")
}

let options = Options(CommandLine.arguments.dropFirst())
let body: String
if let path = options.bodyPath {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
    body = text
} else {
    body = defaultBody
}

let redis = PrivateRedis()
let serverVersion =
    (try? run(which("redis-server"), ["--version"]))?.split(separator: " ").prefix(3)
    .joined(separator: " ") ?? "redis-server"
let loadBefore = loadAverage()

// A fresh redis-server first pays page faults for the memory the stream grows into; one unmeasured run lets every
// measured phase start from the same warm allocator.
_ = redisBenchmark(redis, clients: 50, count: options.count, body: body)
clearStream(redis)

var baselines: [(Measurement, String)] = []
if options.baseline {
    // redis-benchmark's default 50 connections and a single one, both at -P 64; then one connection as deep as ours,
    // the most Redis serves to a single connection (it reads each connection 16 KB per event loop turn).
    for (clients, pipeline) in [(50, 64), (1, 64), (1, options.inFlight)] {
        baselines.append(redisBenchmark(redis, clients: clients, pipeline: pipeline, count: options.count, body: body))
        clearStream(redis)
    }
}
let (ours, batches) = ourClient(redis, options, body: Array(body.utf8))
let stored = (try? redis.cli("XLEN", streamKey)) ?? "?"
guard stored == String(options.count) else { fail("XLEN \(streamKey) is \(stored), expected \(options.count)") }
clearStream(redis)
redis.stop()

print("### resp-bench \(ISO8601DateFormatter().string(from: Date())), commit \(options.commit)")
print()
print("- command: `\(CommandLine.arguments.joined(separator: " "))`")
print("- server: \(serverVersion), `--save '' --appendonly no`, private port; payload \(body.utf8.count) bytes")
for (_, command) in baselines {
    print("- baseline: `\(command)`")
}
print("- warm-up: one unmeasured redis-benchmark -c 50 run and DEL before the measured runs (each followed by DEL)")
print("- ours: `XADD \(streamKey) * data <payload>` through one RedisConnection; XLEN afterwards = \(stored)")
let processors = ProcessInfo.processInfo.activeProcessorCount
print("- load average (1 min) before / after: \(loadBefore) / \(loadAverage()), \(processors) CPUs")
print()
print(
    "| client | connections | pipelining | ops | ops/s | client CPU (cores) | redis-server CPU (cores) "
        + "| other processes (cores) |")
print("|---|---:|---|---:|---:|---:|---:|---:|")
for row in baselines.map(\.0) + [ours] {
    print(
        "| \(row.client) | \(row.connections) | \(row.pipeline) | \(grouped(Double(row.operations))) | "
            + "\(grouped(row.opsPerSecond)) | \(fixed(row.clientCores)) | \(fixed(row.serverCores)) | "
            + "\(fixed(row.otherCores)) |")
}
print()
for (baseline, _) in baselines {
    let ratio = fixed(ours.opsPerSecond / baseline.opsPerSecond, 3)
    print("- ours / redis-benchmark -c \(baseline.connections) \(baseline.pipeline): \(ratio)")
}
let perWrite = fixed(Double(batches.commands) / Double(max(batches.writes, 1)), 1)
print("- our client: \(grouped(Double(batches.writes))) pipelined writes, \(perWrite) XADDs per write on average")
print("- our client's CPU per XADD: \(fixed(ours.clientCores / ours.opsPerSecond * 1e6, 3)) µs")
