import Glibc
import Testing

@testable import Reactor

/// Collects the reports of every tick.
private final class RecordingObserver: TickObserver {
    var reports: [TickReport] = []
    func tickCompleted(_ report: TickReport) { reports.append(report) }
}

private final class Flusher: FlushHandler {
    var flushed = 0
    func flush() { flushed += 1 }
}

@Suite struct TickObserverTests {
    /// Each tick is reported once, with the timers, tasks and flushes it ran and a duration that covers them; the
    /// tick counter advances with it.
    @Test func reportsWhatEachTickDid() throws {
        let clock = ManualClock()
        let loop = try EventLoop(clock: clock)
        let observer = RecordingObserver()
        loop.tickObserver = observer
        let flusher = Flusher()
        loop.scheduleTimer(after: .milliseconds(1)) {
            loop.requestFlush(flusher)
            // Work inside the tick moves the clock: the report must include it.
            clock.advance(by: .milliseconds(150))
        }
        loop.execute {}
        loop.execute {}
        clock.advance(by: .milliseconds(2))
        let before = loop.tickNumber
        loop.tick(maximumWait: .zero)
        #expect(loop.tickNumber == before + 1)
        #expect(observer.reports.count == 1)
        let report = try #require(observer.reports.first)
        #expect(report.timersFired == 1)
        #expect(report.tasksRun == 2)
        #expect(report.flushes == 1)
        #expect(flusher.flushed == 1)
        #expect(report.duration >= .milliseconds(150))
        #expect(report.restDuration >= .milliseconds(150))
        #expect(report.ioDuration < .milliseconds(1))
    }

    /// With nothing to do the loop sleeps rather than polls: a tick with a 50 ms cap returns only after about that
    /// long, having delivered nothing.
    @Test func anIdleLoopSleeps() throws {
        let loop = try EventLoop()
        loop.tick(maximumWait: .zero)  // settle the doorbell
        let start = SystemClock().now()
        loop.tick(maximumWait: .milliseconds(50))
        #expect(SystemClock().now().nanoseconds(since: start) >= 45_000_000)
    }
}
