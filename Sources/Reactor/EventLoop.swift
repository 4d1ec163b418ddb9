import CReactorShim
import Glibc
import Synchronization

/// A single-threaded epoll reactor: every socket it owns is touched only by the thread inside `run()`.
///
/// ### One tick
/// 1. Sleep in `epoll_wait` until I/O, the next timer, or a wake-up (no sleep at all when tasks are queued). The
///    loop never spins: with nothing ready it sleeps, so an idle or lightly loaded gateway costs almost no CPU.
/// 2. Deliver I/O events to their handlers (read requests, accept connections, read Redis replies).
/// 3. Fire expired timers (timeouts, reconnect back-off).
/// 4. Run tasks handed over by other threads through `execute`.
/// 5. Flush: every `FlushHandler` that asked for it writes its buffered output with one syscall. Responses produced
///    anywhere in the tick therefore leave in one `write`/`writev`, and `EPOLLOUT` is armed only for leftovers.
///
/// ### Cross-thread wake-ups
/// Other threads call `execute`, which appends to a locked inbox and writes the eventfd only when it flips
/// `wakeupPending` from false to true. The loop sets the flag as soon as it wakes and clears it only in the critical
/// section where it finds the inbox empty right before sleeping, so a burst of tasks costs one eventfd write per
/// sleep, and no task can be left behind while the loop sleeps.
public final class EventLoop: @unchecked Sendable {
    private struct Slot {
        var generation: UInt32 = 0
        var interest: EpollEvents = []
        var handler: (any EventHandler)?
    }

    private struct Inbox {
        var tasks: [@Sendable () -> Void] = []
        var wakeupPending = false
        var closed = false
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let clock: any MonotonicClock
    private let inbox = Mutex(Inbox())
    private let stopRequested = Atomic<Bool>(false)
    private let loopThread = Atomic<UInt>(0)
    private let wakeupsSignalled = Atomic<Int>(0)

    // Loop-thread state: touched only on the loop thread and never through overlapping accesses, so dynamic
    // exclusivity checks are off for it (see `HTTPConnection`).
    @exclusivity(unchecked) private var slots: [Slot] = []
    @exclusivity(unchecked) private var nextGeneration: UInt32 = 1
    private enum TimerAction {
        case closure(() -> Void)
        case handler(any TimerHandler)
    }

    @exclusivity(unchecked) private var timers = TimerQueue<TimerAction>()
    @exclusivity(unchecked) private var flushQueue: [any FlushHandler] = []
    @exclusivity(unchecked) private var runningTasks: [@Sendable () -> Void] = []
    @exclusivity(unchecked) private var events: UnsafeMutableBufferPointer<epoll_event>
    @exclusivity(unchecked) private var statistics = Statistics()

    /// Output is flushed after this many I/O events within a tick, not only at its end. With a thousand ready
    /// connections, holding every response until the last one was read leaves clients idle for the whole tick; on
    /// a machine shared with its clients (GET /health, 1,000 connections) flushing every 64 events measured
    /// about 1.3x the throughput of flushing once per tick, with the same syscalls per request.
    static let eventsPerFlush = 64

    /// The first size of the array `epoll_wait` fills. A tick that fills it doubles it, up to `maximumEventsPerWait`.
    static let initialEventsPerWait = 256
    /// At most this many events per `epoll_wait` (8,192 × 12 bytes = 96 KiB). Level-triggered epoll reports the rest
    /// next tick; taking more at once would only delay timers, tasks and the flush further.
    static let maximumEventsPerWait = 8192

    /// The time at the start of the current tick; handlers use it instead of reading the clock per event.
    @exclusivity(unchecked) public private(set) var now: MonotonicInstant

    /// Counts ticks; a component with a per-tick budget compares it to know when a new tick began.
    @exclusivity(unchecked) public private(set) var tickNumber: UInt64 = 0

    /// Told how long each tick took and what it did (see `TickReport`). Set before the loop runs.
    public var tickObserver: (any TickObserver)?

    public init(clock: any MonotonicClock = SystemClock()) throws(SystemError) {
        self.clock = clock
        self.now = clock.now()
        epollFD = try Epoll.create()
        do {
            wakeFD = try EventFD.create()
        } catch {
            Posix.close(epollFD)
            throw error
        }
        events = .allocate(capacity: Self.initialEventsPerWait)
        events.initialize(repeating: epoll_event())
        // The doorbell is a plain registration whose handler only drains the counter.
        try register(fd: wakeFD, interest: .readable, handler: Doorbell(fd: wakeFD))
    }

    deinit {
        Posix.close(wakeFD)
        Posix.close(epollFD)
        events.deallocate()
    }

    // MARK: Threads

    /// Starts a dedicated thread that runs the loop until `stop()`; returns once the loop thread is running, with
    /// the thread so the caller can join it after stopping.
    public static func startThread(
        name: String, clock: any MonotonicClock = SystemClock()
    ) throws(SystemError) -> (EventLoop, OSThread) {
        let loop = try EventLoop(clock: clock)
        let started = Atomic<Bool>(false)
        let thread = OSThread(name: name) {
            loop.run(onStart: { started.store(true, ordering: .releasing) })
        }
        while !started.load(ordering: .acquiring) { sched_yield() }
        return (loop, thread)
    }

    /// True on the thread running the loop.
    public var inLoop: Bool {
        pthread_equal(pthread_self(), pthread_t(loopThread.load(ordering: .relaxed))) != 0
    }

    /// True on the loop thread, and on any thread before the loop first runs: that is when its owner sets it up
    /// (registers the listener, schedules the first timers) from the thread that will call `run()`, or a test drives
    /// `tick()` by hand.
    public var isOwnedByCallingThread: Bool {
        loopThread.load(ordering: .relaxed) == 0 || inLoop
    }

    /// Runs ticks on the calling thread until `stop()` is called. Returns after the inbox is closed: tasks submitted
    /// afterwards are dropped, never run on a dead loop.
    public func run(onStart: () -> Void = {}) {
        loopThread.store(UInt(pthread_self()), ordering: .relaxed)
        onStart()
        while !stopRequested.load(ordering: .relaxed) {
            tick()
        }
        inbox.withLock {
            $0.closed = true
            $0.tasks.removeAll()
        }
    }

    /// Asks the loop to return from `run()` after the current tick. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        execute {}
    }

    // MARK: Cross-thread tasks

    /// Runs `task` on the loop thread during its next tick. Safe from any thread; at most one eventfd write per sleep
    /// however many tasks arrive.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        inbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.tasks.append(task)
            if !inbox.wakeupPending {
                inbox.wakeupPending = true
                // Signalled under the lock so that the loop can never close the eventfd between the check and the
                // write. This happens once per sleep, so the lock is held for one syscall at most that often.
                EventFD.signal(wakeFD)
                wakeupsSignalled.add(1, ordering: .relaxed)
            }
        }
    }

    /// Loop-only APIs start with this: in debug builds it traps when another thread calls them once the loop runs
    /// (an `assert`, compiled out of release builds, so the hot path pays nothing).
    private func assertOwnedByCallingThread(_ function: StaticString = #function) {
        assert(isOwnedByCallingThread, "EventLoop.\(function) called off the loop thread")
    }

    // MARK: Registrations (loop thread)

    @discardableResult
    public func register(
        fd: Int32, interest: EpollEvents, handler: any EventHandler
    ) throws(SystemError) -> Registration {
        assertOwnedByCallingThread()
        if Int(fd) >= slots.count {
            slots.append(contentsOf: repeatElement(Slot(), count: max(Int(fd) + 1, slots.count * 2) - slots.count))
        }
        let generation = nextGeneration
        nextGeneration = nextGeneration == UInt32.max ? 1 : nextGeneration + 1
        let registration = Registration(fd: fd, generation: generation)
        try Epoll.add(epollFD, fd: fd, events: interest, data: Self.userData(registration))
        slots[Int(fd)] = Slot(generation: generation, interest: interest, handler: handler)
        return registration
    }

    /// Changes what the registration waits for; skips the syscall when nothing changes.
    public func modify(_ registration: Registration, interest: EpollEvents) throws(SystemError) {
        assertOwnedByCallingThread()
        guard isLive(registration) else { return }
        let index = Int(registration.fd)
        guard slots[index].interest != interest else { return }
        try Epoll.modify(epollFD, fd: registration.fd, events: interest, data: Self.userData(registration))
        slots[index].interest = interest
    }

    public func interest(of registration: Registration) -> EpollEvents? {
        assertOwnedByCallingThread()
        return isLive(registration) ? slots[Int(registration.fd)].interest : nil
    }

    /// Removes the fd from epoll and forgets its handler. Call before closing the fd: epoll watches open file
    /// descriptions, not numbers, so closing first could leave a ghost registration behind.
    public func deregister(_ registration: Registration) {
        assertOwnedByCallingThread()
        guard isLive(registration) else { return }
        try? Epoll.delete(epollFD, fd: registration.fd)
        slots[Int(registration.fd)] = Slot()
    }

    private func isLive(_ registration: Registration) -> Bool {
        let index = Int(registration.fd)
        return index < slots.count && slots[index].generation == registration.generation && slots[index].handler != nil
    }

    private static func userData(_ registration: Registration) -> UInt64 {
        UInt64(registration.generation) << 32 | UInt64(UInt32(bitPattern: registration.fd))
    }

    // MARK: Timers (loop thread)

    @discardableResult
    public func scheduleTimer(at deadline: MonotonicInstant, _ body: @escaping () -> Void) -> TimerID {
        assertOwnedByCallingThread()
        return timers.schedule(at: deadline, .closure(body))
    }

    @discardableResult
    public func scheduleTimer(after delay: Duration, _ body: @escaping () -> Void) -> TimerID {
        assertOwnedByCallingThread()
        return timers.schedule(at: clock.now() + delay, .closure(body))
    }

    /// Calls `handler.timerFired()` at `deadline`. The loop holds the handler strongly until then or until cancelled.
    @discardableResult
    public func scheduleTimer(at deadline: MonotonicInstant, handler: any TimerHandler) -> TimerID {
        assertOwnedByCallingThread()
        return timers.schedule(at: deadline, .handler(handler))
    }

    public func cancelTimer(_ id: TimerID) {
        assertOwnedByCallingThread()
        timers.cancel(id)
    }

    public var pendingTimerCount: Int {
        assertOwnedByCallingThread()
        return timers.count
    }

    // MARK: Flushing (loop thread)

    /// Queues `handler.flush()` for the end of this tick. Handlers keep their own "already queued" flag, so each
    /// is queued at most once per tick.
    public func requestFlush(_ handler: any FlushHandler) {
        assertOwnedByCallingThread()
        flushQueue.append(handler)
    }

    public var stats: Statistics {
        assertOwnedByCallingThread()
        var copy = statistics
        copy.wakeupsSignalled = wakeupsSignalled.load(ordering: .relaxed)
        return copy
    }

    // MARK: The tick

    /// One iteration. `maximumWait` caps the sleep (tests use zero to poll).
    func tick(maximumWait: Duration? = nil) {
        assertOwnedByCallingThread()
        let timeout = sleepTimeout(cap: maximumWait)
        let count: Int
        do {
            count = try Epoll.wait(epollFD, into: events, timeoutMilliseconds: timeout)
        } catch {
            fatalError("epoll_wait failed: \(error)")
        }
        now = clock.now()
        let started = now
        inbox.withLock { $0.wakeupPending = true }
        statistics.ticks += 1
        tickNumber &+= 1

        var flushes = 0
        for index in 0..<count {
            deliver(events[index])
            if index % Self.eventsPerFlush == Self.eventsPerFlush - 1 {
                flushes += flushAll()
            }
        }
        if count == events.count && events.count < Self.maximumEventsPerWait {
            growEvents()
        }
        let timersFired = fireTimers()
        let ioDone = now
        let tasksRun = runTasks()
        flushes += flushAll()
        if let tickObserver {
            tickObserver.tickCompleted(
                TickReport(
                    started: started, ioDone: ioDone, finished: clock.now(), ioEvents: count,
                    timersFired: timersFired, tasksRun: tasksRun, flushes: flushes))
        }
    }

    private func sleepTimeout(cap: Duration?) -> Int32 {
        let mustNotSleep = inbox.withLock { inbox -> Bool in
            if inbox.tasks.isEmpty {
                inbox.wakeupPending = false
                return false
            }
            return true
        }
        if mustNotSleep { return 0 }
        var milliseconds: Int64 = -1
        if let deadline = timers.nextDeadline() {
            let waitNanos = deadline.nanoseconds(since: clock.now())
            // Round up so a timer never fires early and the loop never spins on a sub-millisecond remainder.
            milliseconds = Int64(min(waitNanos / 1_000_000 + (waitNanos % 1_000_000 == 0 ? 0 : 1), UInt64(Int32.max)))
        }
        if let cap {
            let capMilliseconds = Int64(cap.nanosecondsClamped / 1_000_000)
            milliseconds = milliseconds < 0 ? capMilliseconds : min(milliseconds, capMilliseconds)
        }
        return Int32(milliseconds)
    }

    private func deliver(_ event: epoll_event) {
        let data = event.data.u64
        let fd = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: data)))
        let generation = UInt32(truncatingIfNeeded: data >> 32)
        guard fd < slots.count, slots[fd].generation == generation, let handler = slots[fd].handler else {
            statistics.staleEventsDropped += 1
            return
        }
        let fired = EpollEvents(rawValue: event.events)
            .intersection(slots[fd].interest.union([.hangup, .error]))
        guard !fired.isEmpty else { return }
        statistics.eventsDelivered += 1
        handler.handleEvents(fired)
    }

    private func growEvents() {
        let bigger = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: events.count * 2)
        bigger.initialize(repeating: epoll_event())
        events.deallocate()
        events = bigger
    }

    /// Fires every timer whose deadline passed; returns how many fired.
    private func fireTimers() -> Int {
        let current = clock.now()
        now = current
        var fired = 0
        while let action = timers.popExpired(now: current) {
            fired += 1
            switch action {
            case .closure(let body): body()
            case .handler(let handler): handler.timerFired()
            }
        }
        statistics.timersFired += fired
        return fired
    }

    /// Runs the tasks other threads queued; returns how many ran.
    private func runTasks() -> Int {
        inbox.withLock { swap(&$0.tasks, &runningTasks) }
        let count = runningTasks.count
        guard count > 0 else { return 0 }
        statistics.tasksRun += count
        for task in runningTasks { task() }
        runningTasks.removeAll(keepingCapacity: true)
        return count
    }

    /// Runs the flushes requested since the last call; returns how many ran.
    private func flushAll() -> Int {
        var index = 0
        while index < flushQueue.count {
            flushQueue[index].flush()
            index += 1
        }
        flushQueue.removeAll(keepingCapacity: true)
        return index
    }
}
