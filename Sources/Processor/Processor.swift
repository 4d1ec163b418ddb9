import Gateway
import Glibc
import Reactor
import RespClient

/// Moves entries from the Redis stream into InfluxDB on one event loop, in two lanes that overlap.
///
/// ### The reader lane
/// read (`XREADGROUP` pending `0` first, then `XAUTOCLAIM` when due, then `>`) → delivery counts (`XPENDING`, for
/// entries read again) → encode → `ready`. It stops while `ready` holds `maxReadyBatches` the writer has not taken.
///
/// ### The writer lane
/// takes `ready` → writes it to InfluxDB (2xx; a 400 splits the batch until the bad point is alone) → dead letters
/// (`XADD <stream>:dead`) and `XACK` → takes the next one.
///
/// So the next batches are read and encoded while the current one is written, and at most `1 + maxReadyBatches`
/// batches are held. Nothing is acked before InfluxDB has answered 2xx for its point, and during a sink outage the
/// reader stops once `ready` is full: the backlog stays in Redis, not in memory, and nothing is lost.
///
/// Everything here runs on the loop thread; other threads only read metrics and ask for a stop.
public final class Processor: @unchecked Sendable {
    enum Lifecycle: Equatable {
        case running, stopping, stopped
    }

    /// What the reader lane is doing.
    enum ReadPhase: Equatable {
        /// Nothing in flight: waiting for the writer to make room in `ready`, or stopped.
        case idle
        case creatingGroup
        case reading
        case countingDeliveries
        /// Encoding a batch, a slice per loop turn.
        case encoding
        case waitingToRetry
    }

    /// What the writer lane is doing.
    enum WritePhase: Equatable {
        /// No batch: waiting for the reader.
        case idle
        case writing
        case waitingToRetryWrite
        case acknowledging
        case waitingToRetryAck
    }

    let config: ProcessorConfig
    let logger: Logger
    let loop: EventLoop
    let metrics = ProcessorMetrics()
    /// Fast commands: XGROUP, XACK, XADD, XAUTOCLAIM, XPENDING, XINFO, XTRIM.
    let commands: RedisConnection
    /// Only `XREADGROUP ... BLOCK`, whose reply may take the whole block time: its command timeout is longer.
    let reads: RedisConnection
    let sink: HTTPClient
    /// Pings InfluxDB while no writes happen, on its own connection so it never waits behind a write.
    let pinger: HTTPClient
    var encoder: PointEncoder
    let startedAt = wallClockMilliseconds()

    var lifecycle = Lifecycle.running
    var readPhase = ReadPhase.idle
    var writePhase = WritePhase.idle
    /// The batch being written and acknowledged.
    var batch: Batch?
    /// The batch the reader lane is encoding, slice by slice.
    var encoding: Batch?
    /// The next batches, read and encoded, waiting for the writer, oldest first.
    var ready: [Batch] = []
    /// Entries of `>` reads gathered until the batch is full or `flushInterval` has passed since the first one.
    var collected: [StreamEntry] = []
    var collectingSince: MonotonicInstant?
    var readingHistory = true
    var historyCursor = "0"
    var claimDue = false
    var claimCursor = "0-0"
    var sinkFailures = 0
    var redisFailures = 0
    var lastSinkAnswer: MonotonicInstant?
    var onStopped: (() -> Void)?

    /// Batches read and encoded ahead of the writer. Two keep InfluxDB busy while Redis serves the next XREADGROUP
    /// (tens of milliseconds for 5,000 entries) and the loop encodes the one after: with one, the writer waited
    /// for both in turn. A held event costs roughly 1 KB (raw fields plus its line; an estimate, not measured).
    static let maxReadyBatches = 2
    /// Entries encoded per loop turn (a few milliseconds: the fast path costs about 10,600 instructions per entry,
    /// callgrind). Encoding 5,000 at once, before the fast path, kept the loop away from the InfluxDB socket for
    /// about 60 ms, so the response to the write in flight waited behind it.
    static let encodeSliceEntries = 500
    /// A `>` read blocks at most this long so that a stop request or a due claim is noticed within it.
    static let maxBlock: Duration = .seconds(1)
    /// Sink retries back off from 100 ms to 10 s: fast recovery from a blip, one request per 10 s during an outage.
    static let sinkRetryBase: Duration = .milliseconds(100)
    static let sinkRetryMax: Duration = .seconds(10)
    /// Redis is retried faster: the connection itself reconnects with its own back-off.
    static let redisRetryBase: Duration = .milliseconds(50)
    static let redisRetryMax: Duration = .seconds(2)
    /// Lag, pending and trimming are refreshed this often.
    static let maintenanceInterval: Duration = .seconds(2)

    public init(config: ProcessorConfig, logger: Logger, loop: EventLoop) {
        self.config = config
        self.logger = logger
        self.loop = loop
        commands = RedisConnection(
            loop: loop, configuration: RedisConfiguration(url: config.redis, commandTimeout: .seconds(5)))
        reads = RedisConnection(
            loop: loop,
            configuration: RedisConfiguration(url: config.redis, commandTimeout: Self.maxBlock + .seconds(5)))
        sink = HTTPClient(loop: loop, host: config.influx.host, port: config.influx.port)
        pinger = HTTPClient(
            loop: loop, host: config.influx.host, port: config.influx.port, responseTimeout: .seconds(2))
        encoder = PointEncoder(measurement: config.measurement, tagKeys: config.tagKeys)
    }

    public var redisUp: Bool { commands.isUp && reads.isUp }
    public var sinkUp: Bool { metrics.sinkUp.value == 1 }

    /// Starts on the loop thread.
    public func start() {
        loop.execute { [self] in
            commands.onStatusChange = { [weak self] status in
                self?.logger.info(
                    "redis connection", ["state": status.state.rawValue, "error": status.lastError ?? ""])
            }
            commands.start()
            reads.start()
            scheduleMaintenance(after: .milliseconds(200))
            loop.scheduleTimer(after: config.claimIdle) { [weak self] in self?.claimTick() }
            createGroup()
        }
    }

    /// Finishes the batches in flight (written and acked), then stops. After `timeout` it stops anyway; whatever
    /// is unacked stays pending in the group and is claimed by another consumer or re-read on restart.
    public func stop(timeout: Duration, then done: @escaping @Sendable () -> Void) {
        loop.execute { [self] in
            onStopped = done
            guard lifecycle == .running else { return }
            lifecycle = .stopping
            let held = (batch?.entries.count ?? 0) + ready.reduce(0) { $0 + $1.entries.count } + collected.count
            logger.info("stopping", ["reader": "\(readPhase)", "writer": "\(writePhase)", "unacked": "\(held)"])
            loop.scheduleTimer(after: timeout) { [weak self] in
                guard let self, self.lifecycle != .stopped else { return }
                self.logger.warn("stop timed out; unacked entries stay pending", ["writer": "\(self.writePhase)"])
                self.finishStopping()
            }
            checkStopped()
        }
    }

    /// Stops once neither lane has anything in flight or in hand. A reader waiting to retry Redis holds nothing.
    func checkStopped() {
        guard lifecycle == .stopping, readPhase == .idle || readPhase == .waitingToRetry || readPhase == .creatingGroup,
            writePhase == .idle, batch == nil, ready.isEmpty, collected.isEmpty
        else { return }
        finishStopping()
    }

    func finishStopping() {
        guard lifecycle != .stopped else { return }
        lifecycle = .stopped
        sink.close()
        pinger.close()
        commands.shutdown()
        reads.shutdown()
        onStopped?()
        onStopped = nil
    }

    // MARK: Group

    func createGroup() {
        readPhase = .creatingGroup
        RedisCall.submit(
            [
                .staticString("XGROUP"), .staticString("CREATE"), .string(config.stream), .string(config.group),
                .staticString("0"), .staticString("MKSTREAM"),
            ], on: commands
        ) { [self] result in
            switch result {
            case .failure(.server(let error)) where error.code != "BUSYGROUP":
                retryRead("XGROUP CREATE", .server(error)) { $0.createGroup() }
            case .failure(.server), .success:
                redisFailures = 0
                readPhase = .idle
                logger.info(
                    "consumer group ready",
                    ["stream": config.stream, "group": config.group, "consumer": config.consumer])
                readNext()
            case .failure(let error):
                retryRead("XGROUP CREATE", error) { $0.createGroup() }
            }
        }
    }

    /// Schedules `action` after a jittered back-off; the reader lane's answer to a failed Redis command.
    func retryRead(_ what: String, _ error: RedisError, _ action: @escaping (Processor) -> Void) {
        if case .server(let serverError) = error, serverError.code == "NOGROUP" {
            // The stream or the group is gone (a Redis restart without persistence, FLUSHALL, a redeploy): no retry
            // of this command can succeed, and whatever it was about went with the group. Create it again.
            logger.warn("consumer group missing; creating it again", ["command": what, "error": "\(serverError)"])
            claimCursor = "0-0"
            createGroup()
            return
        }
        readPhase = .waitingToRetry
        scheduleRedisRetry(what, error) { processor in
            guard processor.readPhase == .waitingToRetry else { return }
            processor.readPhase = .idle
            if processor.lifecycle == .running {
                action(processor)
            } else {
                processor.readNext()
            }
        }
    }

    func scheduleRedisRetry(_ what: String, _ error: RedisError, _ action: @escaping (Processor) -> Void) {
        if redisFailures == 0 { logger.warn("redis command failed; retrying", ["command": what, "error": "\(error)"]) }
        let delay = Self.backoff(attempt: redisFailures, base: Self.redisRetryBase, max: Self.redisRetryMax)
        redisFailures += 1
        checkStopped()
        loop.scheduleTimer(after: delay) { [weak self] in
            guard let self, self.lifecycle != .stopped else { return }
            action(self)
        }
    }

    /// "Equal jitter": half of the capped exponential delay fixed, half random, so many processors restarting
    /// together do not retry in lock-step.
    static func backoff(attempt: Int, base: Duration, max: Duration) -> Duration {
        let ceiling = min(
            Double(max.nanosecondsClamped), Double(base.nanosecondsClamped) * Double(1 << min(attempt, 20)))
        return .nanoseconds(Int64(ceiling / 2 + Double.random(in: 0...(ceiling / 2))))
    }

    // MARK: Reading

    /// Starts the next read: own pending entries first, then claims when due, then new entries. Does nothing while
    /// a batch waits for the writer (back-pressure) or once stopping (entries already gathered are handed over).
    func readNext() {
        guard readPhase == .idle, ready.count < Self.maxReadyBatches else { return }
        guard lifecycle == .running else {
            if lifecycle == .stopping && !collected.isEmpty {
                received(Batch(source: .new, entries: takeCollected()))
            }
            checkStopped()
            return
        }
        readPhase = .reading
        if readingHistory {
            readHistory()
        } else if claimDue {
            claim()
        } else {
            readNew()
        }
    }

    private func readHistory() {
        RedisCall.submit(
            [
                .staticString("XREADGROUP"), .staticString("GROUP"), .string(config.group), .string(config.consumer),
                .staticString("COUNT"), .integer(config.batch), .staticString("STREAMS"), .string(config.stream),
                .string(historyCursor),
            ], on: commands
        ) { [self] result in
            readPhase = .idle
            switch result {
            case .success(let reply):
                redisFailures = 0
                let entries = StreamEntry.parseReadGroup(reply)
                guard let last = entries.last else {
                    readingHistory = false
                    readNext()
                    return
                }
                historyCursor = last.id
                logger.info("re-reading own pending entries", ["count": "\(entries.count)"])
                received(Batch(source: .pending, entries: entries))
            case .failure(let error):
                retryRead("XREADGROUP 0", error) { $0.readNext() }
            }
        }
    }

    private func claim() {
        let idleMilliseconds = Int(config.claimIdle.nanosecondsClamped / 1_000_000)
        RedisCall.submit(
            [
                .staticString("XAUTOCLAIM"), .string(config.stream), .string(config.group), .string(config.consumer),
                .integer(idleMilliseconds), .string(claimCursor), .staticString("COUNT"), .integer(config.batch),
            ],
            on: commands
        ) { [self] result in
            readPhase = .idle
            switch result {
            case .success(.array(let parts)) where parts.count >= 2:
                redisFailures = 0
                claimCursor = parts[0].string ?? "0-0"
                if claimCursor == "0-0" { claimDue = false }
                // Entries this processor already holds (read long ago, waiting behind a slow sink) are skipped:
                // they are written and acked where they are.
                let held = heldEntryIDs
                let entries = StreamEntry.parseList(parts[1]).filter { !held.contains($0.id) }
                if entries.isEmpty {
                    readNext()
                } else {
                    metrics.entriesClaimed.add(entries.count)
                    logger.info("claimed idle entries", ["count": "\(entries.count)"])
                    received(Batch(source: .claimed, entries: entries))
                }
            case .success(let other):
                logger.warn("unexpected XAUTOCLAIM reply", ["reply": "\(other)"])
                claimDue = false
                readNext()
            case .failure(let error):
                retryRead("XAUTOCLAIM", error) { $0.readNext() }
            }
        }
    }

    private func readNew() {
        let want = config.batch - collected.count
        var block = min(config.flushInterval, Self.maxBlock)
        if let collectingSince {
            let elapsed = Duration.nanoseconds(Int64(loop.now.nanoseconds(since: collectingSince)))
            block = min(block, config.flushInterval - elapsed)
        }
        let blockMilliseconds = max(1, Int(block.nanosecondsClamped / 1_000_000))
        RedisCall.submit(
            [
                .staticString("XREADGROUP"), .staticString("GROUP"), .string(config.group), .string(config.consumer),
                .staticString("COUNT"), .integer(want), .staticString("BLOCK"), .integer(blockMilliseconds),
                .staticString("STREAMS"), .string(config.stream), .staticString(">"),
            ], on: reads
        ) { [self] result in
            readPhase = .idle
            switch result {
            case .success(let reply):
                redisFailures = 0
                let entries = StreamEntry.parseReadGroup(reply)
                if !entries.isEmpty {
                    if collected.isEmpty { collectingSince = loop.now }
                    collected += entries
                }
                let due =
                    collectingSince.map {
                        loop.now.nanoseconds(since: $0) >= config.flushInterval.nanosecondsClamped
                    } ?? false
                if collected.count >= config.batch || (!collected.isEmpty && (due || lifecycle != .running)) {
                    received(Batch(source: .new, entries: takeCollected()))
                } else {
                    readNext()
                }
            case .failure(.server(let error)) where error.code == "NOGROUP":
                // The stream or group was deleted under us (FLUSHALL, a redeploy): create it again.
                logger.warn("consumer group missing; creating it again", ["error": "\(error)"])
                createGroup()
            case .failure(let error):
                retryRead("XREADGROUP >", error) { $0.readNext() }
            }
        }
    }

    /// IDs of every entry read and not yet acked by this processor.
    var heldEntryIDs: Set<String> {
        var ids = Set<String>()
        for held in [batch].compactMap({ $0 }) + ready {
            for entry in held.entries { ids.insert(entry.id) }
        }
        for entry in collected { ids.insert(entry.id) }
        return ids
    }

    private func takeCollected() -> [StreamEntry] {
        defer {
            collected = []
            collectingSince = nil
        }
        return collected
    }

    func claimTick() {
        guard lifecycle != .stopped else { return }
        claimDue = true
        // Scan at least twice per claim-idle period, at most every 30 s, so a dead consumer's entries wait
        // between claimIdle and about 1.5 * claimIdle.
        let period = min(config.claimIdle / 2, .seconds(30))
        loop.scheduleTimer(after: max(period, .milliseconds(100))) { [weak self] in self?.claimTick() }
    }
}
