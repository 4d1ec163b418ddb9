/// What one tick of the loop did and how long each part took, for stall detection.
///
/// The loop reads the clock three times per tick whatever happens (after `epoll_wait`, before the timers, at the
/// end), so a report costs one extra clock read and is built only when an observer is set.
public struct TickReport: Sendable {
    /// When `epoll_wait` returned.
    public let started: MonotonicInstant
    /// When I/O delivery ended and the timers began.
    public let ioDone: MonotonicInstant
    /// When the last flush of the tick ended.
    public let finished: MonotonicInstant
    public let ioEvents: Int
    public let timersFired: Int
    public let tasksRun: Int
    public let flushes: Int

    public init(
        started: MonotonicInstant, ioDone: MonotonicInstant, finished: MonotonicInstant, ioEvents: Int,
        timersFired: Int, tasksRun: Int, flushes: Int
    ) {
        self.started = started
        self.ioDone = ioDone
        self.finished = finished
        self.ioEvents = ioEvents
        self.timersFired = timersFired
        self.tasksRun = tasksRun
        self.flushes = flushes
    }

    /// From `epoll_wait`'s return to the end of the tick's last flush.
    public var duration: Duration { .nanoseconds(Int64(finished.nanoseconds(since: started))) }

    /// Reading and parsing: I/O events delivered to their handlers, with the flushes every 64 events.
    public var ioDuration: Duration { .nanoseconds(Int64(ioDone.nanoseconds(since: started))) }

    /// Timers, tasks from other threads, and the end-of-tick flush.
    public var restDuration: Duration { .nanoseconds(Int64(finished.nanoseconds(since: ioDone))) }
}

/// Receives a `TickReport` at the end of every tick, on the loop thread. Must be cheap: it runs once per tick.
public protocol TickObserver: AnyObject {
    func tickCompleted(_ report: TickReport)
}
