import Glibc
import Synchronization
import TestSupport
import Testing

@testable import Reactor

/// Records the readiness it is given.
private final class RecordingHandler: EventHandler {
    var calls: [EpollEvents] = []
    var onEvent: ((EpollEvents) -> Void)?
    func handleEvents(_ events: EpollEvents) {
        calls.append(events)
        onEvent?(events)
    }
}

@Suite struct EventLoopTests {
    /// Tasks submitted from many threads all run on the loop thread, and a burst submitted while the loop is awake
    /// costs a single eventfd write, not one per task.
    @Test func crossThreadTasksCoalesceWakeups() throws {
        let loop = try EventLoop()
        let ran = Atomic<Int>(0)
        let onLoopThread = Atomic<Int>(0)
        // Submit before the loop ever sleeps: the first task flips the pending flag, the other 3,999 see it set.
        let threads = (0..<4).map { _ in
            OSThread(name: "producer") {
                for _ in 0..<1_000 {
                    loop.execute {
                        ran.add(1, ordering: .relaxed)
                        if loop.inLoop { onLoopThread.add(1, ordering: .relaxed) }
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(loop.stats.wakeupsSignalled == 1)
        let loopThread = OSThread(name: "loop") { loop.run() }
        while ran.load(ordering: .relaxed) < 4_000 { sched_yield() }
        loop.stop()
        loopThread.join()
        #expect(onLoopThread.load(ordering: .relaxed) == 4_000)
    }

    /// A sleeping loop is woken by `execute` (no timeout, nothing else to wake it).
    @Test func executeWakesASleepingLoop() throws {
        let (loop, thread) = try EventLoop.startThread(name: "loop")
        let done = Atomic<Bool>(false)
        usleep(20_000)  // let it reach epoll_wait with an infinite timeout
        loop.execute { done.store(true, ordering: .relaxed) }
        while !done.load(ordering: .relaxed) { sched_yield() }
        loop.stop()
        thread.join()
    }

    /// Timers fire in deadline order when the clock passes them; a cancelled timer never fires.
    @Test func timersFollowTheClock() throws {
        let clock = ManualClock()
        let loop = try EventLoop(clock: clock)
        var fired: [String] = []
        loop.scheduleTimer(after: .seconds(5)) { fired.append("5s") }
        loop.scheduleTimer(after: .seconds(1)) { fired.append("1s") }
        let cancelled = loop.scheduleTimer(after: .seconds(3)) { fired.append("3s") }
        loop.cancelTimer(cancelled)
        loop.tick(maximumWait: .zero)
        #expect(fired.isEmpty)
        clock.advance(by: .seconds(2))
        loop.tick(maximumWait: .zero)
        #expect(fired == ["1s"])
        clock.advance(by: .seconds(4))
        loop.tick(maximumWait: .zero)
        #expect(fired == ["1s", "5s"])
        #expect(loop.pendingTimerCount == 0)
    }

    /// With a real clock, the loop sleeps until the next timer rather than spinning or oversleeping badly.
    @Test func sleepsUntilTheNextTimer() throws {
        let loop = try EventLoop()
        var fired = false
        loop.scheduleTimer(after: .milliseconds(30)) { fired = true }
        var ticks = 0
        while !fired && ticks < 100 {
            loop.tick()
            ticks += 1
        }
        #expect(fired)
        #expect(ticks <= 3)
    }

    /// Readable and hang-up readiness reach the registered handler; after deregistering, nothing does.
    @Test func deliversReadinessToHandlers() throws {
        let loop = try EventLoop()
        let (left, right) = try Posix.socketpair()
        defer { Posix.close(left) }
        let handler = RecordingHandler()
        let registration = try loop.register(fd: left, interest: .readable, handler: handler)
        loop.tick(maximumWait: .zero)
        #expect(handler.calls.isEmpty)

        _ = try [UInt8]("x".utf8).withUnsafeBytes { try Posix.write(right, $0) }
        loop.tick(maximumWait: .zero)
        #expect(handler.calls.count == 1)
        #expect(handler.calls[0].contains(.readable))

        Posix.close(right)
        loop.tick(maximumWait: .zero)
        #expect(handler.calls.count == 2)

        try loop.modify(registration, interest: [.readable, .writable])
        #expect(loop.interest(of: registration) == [.readable, .writable])
        loop.deregister(registration)
        loop.tick(maximumWait: .zero)
        #expect(handler.calls.count == 2)
    }

    /// An event already collected for an fd whose registration a handler replaced in the same tick (what happens
    /// when a connection closes and its descriptor number is reused) is dropped instead of reaching the newcomer.
    ///
    /// The same descriptor is re-registered rather than closed and reopened: under parallel tests another thread
    /// may take a freed number first, and from the loop's side a reused number is exactly a new generation on the
    /// same slot.
    @Test func dropsStaleEventsAfterDescriptorReuse() throws {
        let loop = try EventLoop()
        let (a1, b1) = try Posix.socketpair()
        let (a2, b2) = try Posix.socketpair()
        defer { for fd in [a1, b1, a2, b2] { Posix.close(fd) } }
        let first = RecordingHandler()
        let second = RecordingHandler()
        let newcomer = RecordingHandler()
        var registrations: [Int32: Registration] = [:]
        var replaced: Int32?

        // Whichever handler runs first hands the other descriptor to a newcomer under a new registration.
        func replaceRegistration(of other: Int32) {
            guard replaced == nil else { return }
            loop.deregister(registrations[other]!)
            registrations[other] = try! loop.register(fd: other, interest: .readable, handler: newcomer)
            replaced = other
        }
        first.onEvent = { _ in replaceRegistration(of: a2) }
        second.onEvent = { _ in replaceRegistration(of: a1) }
        registrations[a1] = try loop.register(fd: a1, interest: .readable, handler: first)
        registrations[a2] = try loop.register(fd: a2, interest: .readable, handler: second)
        _ = try [UInt8]("x".utf8).withUnsafeBytes { try Posix.write(b1, $0) }
        _ = try [UInt8]("y".utf8).withUnsafeBytes { try Posix.write(b2, $0) }

        loop.tick(maximumWait: .zero)
        #expect(first.calls.count + second.calls.count == 1)
        #expect(newcomer.calls.isEmpty)
        #expect(loop.stats.staleEventsDropped == 1)

        // On the next tick the newcomer sees the descriptor's readiness under its own registration.
        loop.tick(maximumWait: .zero)
        #expect(newcomer.calls.count == 1)
    }

    /// Flush handlers run once at the end of the tick in which they asked, after tasks and timers.
    @Test func flushRunsAtTheEndOfTheTick() throws {
        final class Flusher: FlushHandler, @unchecked Sendable {
            var log: [String] = []
            func flush() { log.append("flush") }
        }
        let loop = try EventLoop()
        let flusher = Flusher()
        loop.execute { [unowned loop] in
            flusher.log.append("task")
            loop.requestFlush(flusher)
        }
        loop.tick(maximumWait: .zero)
        #expect(flusher.log == ["task", "flush"])
        loop.tick(maximumWait: .zero)
        #expect(flusher.log == ["task", "flush"])
    }

    /// Loop-only APIs (they assert this in debug builds) may be called on any thread until the loop first runs, then
    /// only on the loop's thread; a `LoopBound` made before the loop runs is read on the loop's thread.
    @Test func ownershipPassesToTheLoopThread() throws {
        let loop = try EventLoop()
        #expect(loop.isOwnedByCallingThread)
        let bound = LoopBound(Array("state".utf8), loop: loop)
        let thread = OSThread(name: "owner-test") { loop.run() }
        defer {
            loop.stop()
            thread.join()
        }
        while loop.isOwnedByCallingThread { sched_yield() }
        let seen = Mutex<(owned: Bool, value: [UInt8])?>(nil)
        loop.execute { seen.withLock { $0 = (loop.isOwnedByCallingThread, bound.value) } }
        #expect(waitUntil { seen.withLock { $0 != nil } })
        #expect(seen.withLock { $0?.owned } == true)
        #expect(seen.withLock { $0?.value } == Array("state".utf8))
    }
}
