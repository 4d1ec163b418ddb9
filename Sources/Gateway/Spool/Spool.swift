import Glibc
import Reactor
import RespClient
import Synchronization

/// The crash-safe disk spool: while Redis cannot take events, admitted requests are appended here and answered
/// `200 {"spooled":true}` once fdatasync'd; a forwarder replays them into Redis, oldest first, as soon as it answers.
///
/// ### Threads
/// One dedicated thread owns every file (`SpoolStore`); the reactor never touches the disk. Callers (consumers, or
/// the reactor for small requests and for requests whose Redis write failed) frame the record themselves and hand it
/// over through a `WorkQueue`. The spool thread takes everything queued at once, writes it with one `pwrite` and
/// covers it with one fdatasync (group commit: a slow disk costs latency, not throughput), then answers each request.
/// It also reads the records to forward and submits them to the shared `RedisConnection`; the replies come back on
/// the loop thread and are posted to the spool thread, which moves the cursor and deletes finished segments.
///
/// ### Order
/// `heldEvents` counts events queued for the spool or on disk and not yet acknowledged by Redis. While it is
/// non-zero every new request is spooled too, behind what is already there, so each device's readings reach the
/// stream in the order they were acknowledged; when the forwarder has caught up, requests go to Redis directly again.
final class Spool: @unchecked Sendable {
    struct Configuration {
        var directory: String
        var maxBytes: Int
    }

    enum Task {
        case append(Append)
        /// Redis answered a forwarded batch: how many of its records, from the first, it stored.
        case forwarded(storedRecords: Int)
        /// The loop's timer: retry forwarding if Redis is up.
        case poll
    }

    struct Append {
        let record: [UInt8]
        let events: Int
        let responder: GatewayResponder
        let admittedEvents: Int
    }

    /// The forwarder's state, on the spool thread.
    enum ForwardPhase {
        case idle
        case inFlight(SpoolForwardBatch)
        /// Redis refused or lost part of a batch: wait for the next poll instead of retrying in a tight loop.
        case waiting
    }

    /// Appends fail (ENOSPC, EIO, EROFS): logged once when it starts and once when it stops, not per request.
    enum WriteHealth {
        case healthy
        case failing(since: MonotonicInstant, refusedRequests: Int)
    }

    /// When forwarding cannot proceed (Redis down, a batch failed), the spool thread asks the loop for one `.poll`
    /// this much later: Redis coming back is noticed within it, and a failed batch is retried at this pace rather
    /// than in a loop. An empty spool, or one forwarding normally, arms no timer at all.
    static let pollInterval: Duration = .milliseconds(50)
    /// How long a group commit may wait for more requests when it is much smaller than the last one: half the last
    /// fdatasync, within these bounds. Clients whose requests the last fdatasync answered are sending their next
    /// ones; without the wait the group alternates between a few requests and most of them, and each fsync covers
    /// half the clients (measured at 64 connections with a 4 ms fdatasync: 30 requests per fsync; docs/PERFORMANCE.md,
    /// "Spool"). Only a group that follows a large one ever waits (PostgreSQL's commit_delay, made adaptive), and
    /// it waits at most half of what its own fsync will cost.
    static let groupGatherWaitBounds: ClosedRange<UInt64> = 500_000...5_000_000

    let configuration: Configuration
    let metrics: SpoolMetrics
    private let logger: Logger
    private let redis: RedisRouter
    private let admission: Admission
    private let gatewayMetrics: GatewayMetrics
    private let target: StreamTarget
    private let queue = WorkQueue<Task>()
    private let heldEvents = Atomic<Int>(0)
    private let reservedBytes = Atomic<Int>(0)
    private var thread: OSThread?
    /// Holds the directory's `flock` for the life of the process; the kernel drops it when the process dies.
    private var lockFD: Int32 = -1
    // Spool-thread state.
    private var store: SpoolStore?
    private var forwarding = ForwardPhase.idle
    /// A `.poll` is on its way (at most one timer is armed at a time).
    private var pollRequested = false
    private var loop: EventLoop?
    private var writeHealth = WriteHealth.healthy
    private var lastGroupRequests = 0

    init(
        configuration: Configuration, redis: RedisRouter, admission: Admission, metrics: GatewayMetrics,
        target: StreamTarget, logger: Logger
    ) {
        self.configuration = configuration
        self.redis = redis
        self.admission = admission
        self.gatewayMetrics = metrics
        self.metrics = metrics.spool
        self.target = target
        self.logger = logger
    }

    /// True while anything is spooled or on its way into the spool: new requests must go behind it.
    var holdsEvents: Bool { heldEvents.load(ordering: .relaxed) > 0 }

    // MARK: Life cycle

    /// Creates and locks the directory (failing here stops the gateway from starting), then starts the spool
    /// thread, which recovers what is on disk before it appends anything. Until recovery is done new requests are
    /// spooled, so nothing overtakes a recovered event.
    func start(loop: EventLoop) throws(SystemError) {
        try SpoolFiles.makeDirectories(configuration.directory)
        lockFD = try SpoolFiles.lock(directory: configuration.directory)
        let directoryFD = try SpoolFiles.openDirectory(configuration.directory)
        heldEvents.store(1, ordering: .relaxed)  // "recovering": released when recovery is done
        self.loop = loop
        thread = OSThread(name: "spool") { [self] in run(directoryFD: directoryFD) }
    }

    /// Spool thread: one `.poll` after `pollInterval`, through a timer on the loop.
    private func requestPoll() {
        guard !pollRequested, let loop else { return }
        pollRequested = true
        loop.execute { [self] in
            _ = loop.scheduleTimer(after: Self.pollInterval) { [self] in queue.push(contentsOf: [.poll]) }
        }
    }

    /// Spool thread: forwarding pauses until the next poll.
    private func pause() {
        forwarding = .waiting
        requestPoll()
    }

    /// Appends already queued are written and answered; then the thread exits. A forwarded batch still in flight is
    /// replayed on the next start.
    func shutdown() { queue.close() }

    func join() {
        thread?.join()
        thread = nil
    }

    // MARK: Appending (any thread)

    /// Spools one request's events; `responder` gets `200 {"spooled":true}` after the fdatasync, or a 503. The
    /// request's `admittedEvents` are released when it is answered.
    func append(_ batch: TelemetryBatch, responder: GatewayResponder, admittedEvents: Int) {
        var record: [UInt8] = []
        SpoolRecord.append(batch.events, to: &record)
        let reserved = reservedBytes.add(record.count, ordering: .relaxed).newValue
        if metrics.bytes.value + reserved > configuration.maxBytes {
            reservedBytes.subtract(record.count, ordering: .relaxed)
            refuse(responder, admittedEvents, .spoolFull, Responses.unavailable("spool full", retryAfterSeconds: 5))
            return
        }
        heldEvents.add(batch.events.count, ordering: .relaxed)
        queue.push(contentsOf: [
            .append(
                Append(
                    record: record, events: batch.events.count, responder: responder, admittedEvents: admittedEvents))
        ])
    }

    private func refuse(
        _ responder: GatewayResponder, _ admittedEvents: Int, _ reason: RejectReason, _ response: HTTPResponse
    ) {
        admission.release(events: admittedEvents)
        gatewayMetrics.countRejected(reason, events: admittedEvents)
        responder.respond(response)
    }

    // MARK: The spool thread

    private func run(directoryFD: Int32) {
        defer { close(directoryFD) }
        do {
            let recovered = try SpoolRecovery(directory: configuration.directory, logger: logger).recover()
            store = SpoolStore(
                directory: configuration.directory, directoryFD: directoryFD, maxBytes: configuration.maxBytes,
                recovered: recovered, logger: logger, metrics: metrics)
            metrics.corruptRecords.add(recovered.corruptRecords)
            heldEvents.add(store!.totalEvents, ordering: .relaxed)
            publishGauges()
            logger.info(
                "spool ready",
                [
                    "directory": configuration.directory, "segments": String(recovered.segments.count),
                    "events": String(store!.totalEvents), "bytes": String(store!.totalBytes),
                    "corrupt_records": String(recovered.corruptRecords),
                    "truncated_bytes": String(recovered.truncatedBytes),
                ])
        } catch {
            logger.error(
                "spool recovery failed: spooling is off, requests Redis cannot take get 503",
                ["directory": configuration.directory, "error": error.description])
        }
        heldEvents.subtract(1, ordering: .relaxed)  // recovery is over
        forwardIfIdle()

        var tasks: [Task] = []
        var group: [Append] = []
        while queue.popBatch(limit: Self.tasksPerPop, into: &tasks) {
            gatherGroup(&tasks)
            for task in tasks {
                switch task {
                case .append(let append): group.append(append)
                case .forwarded(let stored): forwarded(stored)
                case .poll:
                    pollRequested = false
                    if case .waiting = forwarding { forwarding = .idle }
                }
            }
            tasks.removeAll(keepingCapacity: true)
            if !group.isEmpty { commit(group) }
            group.removeAll(keepingCapacity: true)
            forwardIfIdle()
        }
        store = nil
    }

    /// Tasks taken per lock hold: more than any number of connections worth grouping.
    private static let tasksPerPop = 4096

    /// Waits (see `groupGatherWaitBounds`) for more appends when the group in `tasks` is less than half the last one.
    private func gatherGroup(_ tasks: inout [Task]) {
        let appends = tasks.reduce(0) { if case .append = $1 { $0 + 1 } else { $0 } }
        guard appends > 0, appends < lastGroupRequests / 2 else { return }
        let bounds = Self.groupGatherWaitBounds
        let wait = min(max(store?.lastSyncNanoseconds ?? 0, bounds.lowerBound * 2) / 2, bounds.upperBound)
        let deadline = SystemClock().now() + .nanoseconds(Int64(wait))
        while appends + queue.count < lastGroupRequests && SystemClock().now() < deadline {
            usleep(50)
        }
        if queue.count > 0 { _ = queue.popBatch(limit: Self.tasksPerPop, into: &tasks) }
    }

    /// One group commit: every append taken from the queue, one write, one fdatasync, then the answers.
    private func commit(_ group: [Append]) {
        lastGroupRequests = group.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(group.reduce(0) { $0 + $1.record.count })
        var events = 0
        for append in group {
            bytes.append(contentsOf: append.record)
            events += append.events
        }
        do throws(SystemError) {
            guard let store else { throw SystemError("spool recovery", errno: EIO) }
            try store.append(bytes, events: events)
        } catch {
            noteWriteFailure(error, requests: group.count)
            for append in group {
                reservedBytes.subtract(append.record.count, ordering: .relaxed)
                heldEvents.subtract(append.events, ordering: .relaxed)
                refuse(
                    append.responder, append.admittedEvents, .spoolUnavailable,
                    Responses.unavailable("spool write failed"))
            }
            return
        }
        noteWriteSuccess()
        publishGauges()
        metrics.appended.add(events)
        for append in group {
            reservedBytes.subtract(append.record.count, ordering: .relaxed)
            admission.release(events: append.admittedEvents)
            append.responder.respond(Responses.spooled(append.events))
        }
    }

    private func noteWriteFailure(_ error: SystemError, requests: Int) {
        switch writeHealth {
        case .healthy:
            logger.error(
                "spool write failed: answering 503 until a write succeeds",
                ["error": error.description, "requests": String(requests), "directory": configuration.directory])
            writeHealth = .failing(since: SystemClock().now(), refusedRequests: requests)
        case .failing(let since, let refused):
            writeHealth = .failing(since: since, refusedRequests: refused + requests)
        }
    }

    private func noteWriteSuccess() {
        guard case .failing(let since, let refused) = writeHealth else { return }
        writeHealth = .healthy
        let seconds = Double(SystemClock().now().nanoseconds(since: since)) / 1e9
        logger.info(
            "spool writes succeed again", ["after_seconds": String(seconds), "refused_requests": String(refused)])
    }

    private func forwardIfIdle() {
        guard case .idle = forwarding, let store else { return }
        guard redis.isUp else {
            if store.totalEvents > 0 { requestPoll() }
            return
        }
        let batch: SpoolForwardBatch
        do {
            batch = try store.nextBatch()
        } catch {
            logger.error("spool read failed: forwarding paused", ["error": error.description])
            pause()
            return
        }
        if batch.lostEvents > 0 {
            // A damaged record was moved aside: carry on with the next one at the next poll.
            heldEvents.subtract(batch.lostEvents, ordering: .relaxed)
            pause()
        }
        publishGauges()
        guard !batch.records.isEmpty else { return }
        let (bytes, commandCounts) = batch.encode(into: target)
        let replies = SpoolForwardReplies(commandCounts: commandCounts) { [queue] stored in
            queue.push(contentsOf: [.forwarded(storedRecords: stored)])
        }
        let submitted = bytes.withUnsafeBytes { raw in
            Result { () throws(RedisError) in
                try redis.submit(
                    encoded: raw, commandCount: commandCounts.reduce(0, +), slot: target.slot, handler: replies)
            }
        }
        switch submitted {
        case .success: forwarding = .inFlight(batch)
        case .failure: pause()
        }
    }

    private func forwarded(_ stored: Int) {
        guard case .inFlight(let batch) = forwarding, let store else { return }
        if stored == batch.records.count { forwarding = .idle } else { pause() }
        guard stored > 0 else { return }
        let events = batch.events(inFirst: stored)
        let remaining = heldEvents.subtract(events, ordering: .relaxed).newValue
        metrics.forwarded.add(events)
        do {
            try store.acknowledge(
                through: SpoolCursor(sequence: batch.sequence, offset: batch.ends[stored - 1]),
                events: events, spoolEmpty: remaining == 0)
        } catch {
            logger.warn(
                "spool: cannot save the forwarding cursor; a restart may replay more", ["error": error.description])
        }
        publishGauges()
    }

    private func publishGauges() {
        guard let store else { return }
        metrics.bytes.set(store.totalBytes)
        metrics.events.set(store.totalEvents)
    }
}
