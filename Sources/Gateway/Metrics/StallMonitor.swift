import Reactor
import Synchronization

/// Makes stalls visible from inside: every place where a request can wait without the gateway doing anything for
/// it gets a histogram, and any wait over `warnThreshold` a warning line that says what the gateway was doing.
///
/// | where a request waits | measured as | metric |
/// |---|---|---|
/// | the loop is busy or not scheduled | a 100 ms timer's lateness; each tick's duration | `gateway_event_loop_lag_seconds`, `gateway_event_loop_tick_seconds` |
/// | bytes of a request arrive in pieces | first byte read to request parsed | `gateway_request_receive_seconds` |
/// | admitted, waiting for a consumer thread | admitted to consumer started | `gateway_handoff_wait_seconds` |
/// | a consumer's commands wait for the loop | submitted to taken by the loop's flush | `gateway_consumer_to_reactor_wait_seconds` |
/// | Redis | written to reply read | `gateway_redis_round_trip_seconds` |
///
/// What no server-side metric can see is time spent before the request reaches the kernel's socket buffer or after
/// the response left it: a client that cannot get a CPU to send, or to read its answers, measures a latency that
/// happened entirely on its side (docs/PERFORMANCE.md, "The 5,000-device spike").
final class StallMonitor: TickObserver, Sendable {
    /// A tick, a timer's lateness or a hand-off longer than this is logged: it is two orders of magnitude above
    /// normal (ticks take microseconds) and a quarter of the 200 ms that devices count as a timeout.
    static let warnThreshold: Duration = .milliseconds(100)
    /// How often the loop-lag probe fires: often enough to catch a stall of a few hundred milliseconds, rare enough
    /// (10 wake-ups a second) to cost an idle gateway nothing measurable.
    static let lagProbeInterval: Duration = .milliseconds(100)
    /// At most one warning per kind per this interval; the next line says how many were folded into it.
    static let warningInterval: Duration = .seconds(1)

    enum Kind: Int, CaseIterable {
        case tick, loopLag, handOff, consumerToReactor, redisRoundTrip
    }

    let loopLag = Histogram(upperBounds: StallMonitor.bounds)
    let tickDuration = Histogram(upperBounds: StallMonitor.bounds)
    let requestReceive = Histogram(upperBounds: StallMonitor.bounds)
    let handOffWait = Histogram(upperBounds: StallMonitor.bounds)
    let consumerToReactorWait = Histogram(upperBounds: StallMonitor.bounds)
    let redisRoundTrip = Histogram(upperBounds: StallMonitor.bounds)

    /// 50 µs to 5 s: a healthy wait is tens of microseconds, a stall hundreds of milliseconds.
    static let bounds: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ]

    private let logger: Logger
    private let warnNanoseconds = StallMonitor.warnThreshold.nanosecondsClamped
    private let warnings = Mutex([WarningState](repeating: WarningState(), count: Kind.allCases.count))

    private struct WarningState {
        var lastLogged: MonotonicInstant?
        var folded = 0
    }

    init(logger: Logger) {
        self.logger = logger
    }

    // MARK: The loop (loop thread)

    func tickCompleted(_ report: TickReport) {
        let nanoseconds = report.finished.nanoseconds(since: report.started)
        tickDuration.observe(Double(nanoseconds) / 1e9)
        guard nanoseconds >= warnNanoseconds else { return }
        warn(
            .tick, at: report.finished, "slow event-loop tick",
            [
                "duration_ms": Self.milliseconds(nanoseconds),
                "io_ms": Self.milliseconds(report.ioDone.nanoseconds(since: report.started)),
                "timers_tasks_flush_ms": Self.milliseconds(report.finished.nanoseconds(since: report.ioDone)),
                "io_events": String(report.ioEvents), "timers": String(report.timersFired),
                "tasks": String(report.tasksRun), "flushes": String(report.flushes),
            ])
    }

    /// Starts the lag probe: a timer that re-arms itself every `lagProbeInterval` and records how late it fired.
    func startLagProbe(on loop: EventLoop) {
        let deadline = loop.now + Self.lagProbeInterval
        loop.scheduleTimer(at: deadline) { [self] in
            let late = loop.now.nanoseconds(since: deadline)
            loopLag.observe(Double(late) / 1e9)
            if late >= warnNanoseconds {
                warn(
                    .loopLag, at: loop.now, "event loop ran late",
                    [
                        "late_ms": Self.milliseconds(late),
                        "hint": "the reactor thread was busy or not scheduled: see gateway_event_loop_tick_seconds",
                    ])
            }
            startLagProbe(on: loop)
        }
    }

    // MARK: Waits measured elsewhere (any thread)

    func requestReceived(firstByteAt: MonotonicInstant, parsedAt: MonotonicInstant) {
        requestReceive.observe(Double(parsedAt.nanoseconds(since: firstByteAt)) / 1e9)
    }

    func handOffWaited(admittedAt: MonotonicInstant, startedAt: MonotonicInstant, queued: Int) {
        let nanoseconds = startedAt.nanoseconds(since: admittedAt)
        handOffWait.observe(Double(nanoseconds) / 1e9)
        if nanoseconds >= warnNanoseconds {
            warn(
                .handOff, at: startedAt, "slow hand-off to a consumer thread",
                [
                    "wait_ms": Self.milliseconds(nanoseconds), "events_queued": String(queued),
                    "hint": "consumer threads were busy or not scheduled",
                ])
        }
    }

    func consumerCommandsWaited(nanoseconds: UInt64, at now: MonotonicInstant) {
        consumerToReactorWait.observe(Double(nanoseconds) / 1e9)
        if nanoseconds >= warnNanoseconds {
            warn(
                .consumerToReactor, at: now, "consumer commands waited for the event loop",
                [
                    "wait_ms": Self.milliseconds(nanoseconds)
                ])
        }
    }

    func redisReplied(nanoseconds: UInt64, at now: MonotonicInstant) {
        redisRoundTrip.observe(Double(nanoseconds) / 1e9)
        if nanoseconds >= warnNanoseconds {
            warn(.redisRoundTrip, at: now, "slow redis round trip", ["round_trip_ms": Self.milliseconds(nanoseconds)])
        }
    }

    // MARK: Warnings

    private func warn(
        _ kind: Kind, at now: MonotonicInstant, _ message: String, _ fields: KeyValuePairs<String, String>
    ) {
        let folded = warnings.withLock { states -> Int? in
            var state = states[kind.rawValue]
            defer { states[kind.rawValue] = state }
            if let last = state.lastLogged, now < last + Self.warningInterval {
                state.folded += 1
                return nil
            }
            let folded = state.folded
            state = WarningState(lastLogged: now, folded: 0)
            return folded
        }
        guard let folded else { return }
        var all = fields.map { (key: $0.key, value: $0.value) }
        if folded > 0 { all.append((key: "similar_since_last_line", value: String(folded))) }
        logger.log(.warn, message, fields: all)
    }

    private static func milliseconds(_ nanoseconds: UInt64) -> String {
        String(Double(nanoseconds / 10_000) / 100)
    }
}
