// resp-bench: XADD throughput of RedisConnection from one connection, next to redis-benchmark on the same
// private redis-server, with the CPU each client spends. Run through scripts/resp-bench (release build).
//
// Usage: resp-bench [--count N] [--producers N] [--in-flight N] [--batch N] [--body PATH] [--commit TEXT]
//                   [--baseline no]

import Foundation
import Glibc
import Reactor
import RespClient
import Synchronization

// MARK: Options

struct Options {
    var count = 500_000
    var producers = 2
    /// Commands allowed in flight; producers sleep at the cap and resume once half of it has drained.
    var inFlight = 4096
    /// XADDs per submission: 1 is the worst case (one lock hold and one encode call per event).
    var batch = 1
    var bodyPath: String?
    var commit = "unknown"
    /// `--baseline no` skips redis-benchmark, to profile our client alone.
    var baseline = true

    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { Self.usage("\(flag) needs a value") }
            switch flag {
            case "--count": count = Self.positive(value, flag)
            case "--producers": producers = Self.positive(value, flag)
            case "--in-flight": inFlight = Self.positive(value, flag)
            case "--batch": batch = Self.positive(value, flag)
            case "--body": bodyPath = value
            case "--commit": commit = value
            case "--baseline": baseline = value != "no"
            default: Self.usage("unknown option \(flag)")
            }
        }
    }

    private static func positive(_ text: String, _ flag: String) -> Int {
        guard let value = Int(text), value > 0 else { usage("\(flag) needs a positive integer") }
        return value
    }

    static func usage(_ problem: String) -> Never {
        printError("resp-bench: \(problem)")
        printError(
            "usage: resp-bench [--count N] [--producers N] [--in-flight N] [--batch N] [--body PATH] "
                + "[--commit TEXT] [--baseline no]")
        exit(2)
    }
}

/// The gateway's telemetry event (the same 196 bytes as the load tests' body.json), used without `--body`.
let defaultBody = #"{"device_id":"sensor-17","type":"temperature","value":27.31,"unit":"celsius","priority":"MEDIUM","#
    + #""timestamp":"2026-11-30T04:00:00.000Z","metadata":{"location":"zone-1","firmware_version":"2.3.1"}}"#

let streamKey = "telemetry:bench"

/// The private redis-server, so that `fail` can take it down: `exit` runs no `defer`.
enum Cleanup {
    static let redisPID = Atomic<Int32>(0)

    static var directory: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("resp-bench-\(getpid())")
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    printError("resp-bench: \(message)")
    let pid = Cleanup.redisPID.exchange(0, ordering: .relaxed)
    if pid > 0 { kill(pid, SIGKILL) }
    try? FileManager.default.removeItem(at: Cleanup.directory)
    exit(1)
}

// MARK: CPU accounting

/// User plus system CPU time, in seconds.
func cpuSeconds(_ who: Int32) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who), &usage)
    let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU seconds used so far by another process (utime + stime from /proc), for the redis-server column.
func processCPUSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    // Fields after "pid (comm) ": state is field 3, utime and stime are fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU seconds the whole machine spent busy (not idle, not waiting for I/O) so far, from /proc/stat.
func machineBusySeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
    else { return 0 }
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait is work.
    let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard ticks.count >= 5 else { return 0 }
    return (ticks.reduce(0, +) - ticks[3] - ticks[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU use of the client, of redis-server, and of everything else on the machine over one measured phase.
///
/// The machine is shared: "everything else" says whether another process was competing for the two cores.
struct CPUWindow {
    private let client: () -> Double
    private let redis: PrivateRedis
    private let clientStart: Double
    private let serverStart: Double
    private let machineStart: Double
    private let wallStart = monotonicSeconds()

    init(client: @escaping () -> Double, redis: PrivateRedis) {
        self.client = client
        self.redis = redis
        clientStart = client()
        serverStart = redis.cpuSeconds
        machineStart = machineBusySeconds()
    }

    /// Cores used (CPU seconds per wall second) by the client, the server and the rest, over `wall` seconds.
    func cores(over wall: Double) -> (client: Double, server: Double, others: Double) {
        let clientSeconds = client() - clientStart
        let serverSeconds = redis.cpuSeconds - serverStart
        // Machine ticks and process times both cover the whole span since `init`, not just the measured part.
        let span = monotonicSeconds() - wallStart
        let others = max(0, machineBusySeconds() - machineStart - clientSeconds - serverSeconds) / span
        return (clientSeconds / wall, serverSeconds / wall, others)
    }
}

func monotonicSeconds() -> Double {
    Double(SystemClock().now().nanoseconds) / 1e9
}

// MARK: A private redis-server

final class PrivateRedis {
    let port: Int
    let process = Process()
    private let directory: URL

    init() {
        directory = Cleanup.directory
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = Self.freePort()
        process.executableURL = URL(fileURLWithPath: which("redis-server"))
        process.arguments = [
            "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        do { try process.run() } catch { fail("cannot start redis-server: \(error)") }
        Cleanup.redisPID.store(process.processIdentifier, ordering: .relaxed)
        for _ in 0..<500 {
            if (try? cli("PING")) == "PONG" { return }
            usleep(10_000)
        }
        stop()
        fail("redis-server did not answer PING on port \(port)")
    }

    var cpuSeconds: Double { processCPUSeconds(process.processIdentifier) }

    /// Runs one command through redis-cli and returns its output.
    func cli(_ arguments: String...) throws -> String {
        try run(which("redis-cli"), ["-h", "127.0.0.1", "-p", String(port)] + arguments)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        Cleanup.redisPID.store(0, ordering: .relaxed)
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { fail("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The absolute path of `tool` on PATH.
func which(_ tool: String) -> String {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let path = "\(directory)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    fail("\(tool) is not on PATH (apt-get install redis-server redis-tools)")
}

/// Runs a program to completion and returns its standard output.
func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

// MARK: Measurements

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

/// Producers sleep here while the connection is at its in-flight cap, and are woken once it has drained to half.
///
/// Waking them per reply would cost a futex wake for every command; waking at half the cap lets each producer refill
/// thousands of slots per wake-up while the other half keeps Redis busy.
final class InFlightGate: @unchecked Sendable {
    private let condition = NSCondition()
    private let waiting = Atomic<Bool>(false)
    private let lowWater: Int

    init(capacity: Int) {
        lowWater = capacity / 2
    }

    func waitForRoom(_ connection: RedisConnection) {
        condition.lock()
        waiting.store(true, ordering: .sequentiallyConsistent)
        while connection.commandsInFlight > lowWater {
            // The timeout is a backstop only: the loop thread checks `waiting` after each reply and broadcasts.
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.01))
        }
        condition.unlock()
    }

    /// Called on the loop thread after every reply; one atomic load unless a producer is asleep.
    func replyArrived(_ connection: RedisConnection) {
        guard waiting.load(ordering: .sequentiallyConsistent), connection.commandsInFlight <= lowWater else { return }
        condition.lock()
        waiting.store(false, ordering: .sequentiallyConsistent)
        condition.broadcast()
        condition.unlock()
    }
}

/// How the loop grouped submissions into pipelined writes: many small writes cost Redis more per command than few
/// large ones. Touched only on the loop thread, read after it has been joined.
final class BatchCount: @unchecked Sendable {
    private(set) var writes = 0
    private(set) var commands = 0

    func record(_ count: Int) {
        writes += 1
        commands += count
    }
}

/// Counts replies and notes when the last one arrived.
final class BenchReplies: RedisReplyHandler, @unchecked Sendable {
    let expected: Int
    let gate: InFlightGate
    let connection: RedisConnection
    let answered = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let firstError = Mutex<RedisError?>(nil)
    let finished = Atomic<UInt64>(0)

    init(expected: Int, gate: InFlightGate, connection: RedisConnection) {
        self.expected = expected
        self.gate = gate
        self.connection = connection
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        if case .failure(let error) = result {
            failed.add(1, ordering: .relaxed)
            firstError.withLock { $0 = $0 ?? error }
        }
        if answered.add(1, ordering: .relaxed).newValue == expected {
            finished.store(SystemClock().now().nanoseconds, ordering: .releasing)
        }
        gate.replyArrived(connection)
    }
}

/// `count` XADDs through one RedisConnection from `options.producers` threads, each encoding its own commands.
func ourClient(_ redis: PrivateRedis, _ options: Options, body: [UInt8]) -> (Measurement, BatchCount) {
    Posix.ignoreSIGPIPE()
    let loop: EventLoop
    let loopThread: OSThread
    do { (loop, loopThread) = try EventLoop.startThread(name: "redis-loop") } catch { fail("event loop: \(error)") }
    let configuration = RedisConfiguration(
        url: RedisURL(host: "127.0.0.1", port: redis.port), commandTimeout: .seconds(30),
        maxCommandsInFlight: options.inFlight)
    let connection = RedisConnection(loop: loop, configuration: configuration)
    let batches = BatchCount()
    connection.onBatchWritten = { batches.record($0) }
    connection.start()
    for _ in 0..<1000 where !connection.isUp { usleep(5_000) }
    guard connection.isUp else { fail("RedisConnection did not come up: \(connection.status)") }

    let gate = InFlightGate(capacity: options.inFlight)
    let replies = BenchReplies(expected: options.count, gate: gate, connection: connection)
    let xadd: [RESPArgument] = [
        .staticString("XADD"), .staticString("telemetry:bench"), .staticString("*"), .staticString("data"),
        .bytes(body),
    ]
    let shares = (0..<options.producers).map { index in
        options.count / options.producers + (index < options.count % options.producers ? 1 : 0)
    }

    let window = CPUWindow(client: { cpuSeconds(RUSAGE_SELF.rawValue) }, redis: redis)
    let started = SystemClock().now().nanoseconds
    let producers = shares.enumerated().map { index, share in
        OSThread(name: "producer-\(index)") {
            var buffer: [UInt8] = []
            var remaining = share
            while remaining > 0 {
                let commands = min(options.batch, remaining)
                buffer.removeAll(keepingCapacity: true)
                for _ in 0..<commands { RESPEncoder.appendCommand(xadd, to: &buffer) }
                while true {
                    let outcome = buffer.withUnsafeBytes { bytes in
                        Result { () throws(RedisError) in
                            try connection.submit(encoded: bytes, commandCount: commands, handler: replies)
                        }
                    }
                    switch outcome {
                    case .success: break
                    case .failure(.overloaded):
                        gate.waitForRoom(connection)
                        continue
                    case .failure(let error): fail("submit failed: \(error)")
                    }
                    break
                }
                remaining -= commands
            }
        }
    }
    producers.forEach { $0.join() }
    while replies.finished.load(ordering: .acquiring) == 0 { usleep(1_000) }
    let wall = Double(replies.finished.load(ordering: .acquiring) - started) / 1e9
    let cores = window.cores(over: wall)

    connection.shutdown()
    loop.stop()
    loopThread.join()
    if replies.failed.load(ordering: .relaxed) > 0 {
        let first = replies.firstError.withLock { $0 }.map(String.init(describing:)) ?? "?"
        fail("\(replies.failed.load(ordering: .relaxed)) commands failed, first: \(first)")
    }
    let batch = options.batch == 1 ? "" : ", \(options.batch) per submit"
    let measurement = Measurement(
        client: "RedisConnection (\(options.producers) producer threads\(batch))", connections: "1",
        pipeline: "≤ \(options.inFlight) in flight", operations: options.count,
        opsPerSecond: Double(options.count) / wall, clientCores: cores.client, serverCores: cores.server,
        otherCores: cores.others)
    return (measurement, batches)
}

// MARK: Main

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
let serverVersion = (try? run(which("redis-server"), ["--version"]))?.split(separator: " ").prefix(3)
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
