import Foundation
import Glibc
import Reactor
import RespClient
import Synchronization

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
    for producer in producers { producer.join() }
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
