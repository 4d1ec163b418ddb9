import Testing

@testable import Reactor

@Suite struct TimerQueueTests {
    /// Timers come out in deadline order, ties in scheduling order, whatever order they went in.
    @Test func popsInDeadlineOrder() {
        var queue = TimerQueue<Int>()
        var generator = SystemRandomNumberGenerator()
        var expected: [(UInt64, Int)] = []
        for index in 0..<2_000 {
            let deadline = UInt64.random(in: 0..<500, using: &generator)
            _ = queue.schedule(at: MonotonicInstant(nanoseconds: deadline), index)
            expected.append((deadline, index))
        }
        expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var fired: [Int] = []
        while let payload = queue.popExpired(now: MonotonicInstant(nanoseconds: .max)) {
            fired.append(payload)
        }
        #expect(fired == expected.map(\.1))
        #expect(queue.count == 0)
    }

    /// Only timers whose deadline has passed are popped.
    @Test func popsOnlyExpired() {
        var queue = TimerQueue<String>()
        _ = queue.schedule(at: MonotonicInstant(nanoseconds: 10), "a")
        _ = queue.schedule(at: MonotonicInstant(nanoseconds: 20), "b")
        #expect(queue.popExpired(now: MonotonicInstant(nanoseconds: 9)) == nil)
        #expect(queue.popExpired(now: MonotonicInstant(nanoseconds: 10)) == "a")
        #expect(queue.popExpired(now: MonotonicInstant(nanoseconds: 15)) == nil)
        #expect(queue.nextDeadline() == MonotonicInstant(nanoseconds: 20))
    }

    /// A cancelled timer never fires and no longer determines the next deadline.
    @Test func cancelledTimersNeverFire() {
        var queue = TimerQueue<String>()
        let early = queue.schedule(at: MonotonicInstant(nanoseconds: 1), "early")
        _ = queue.schedule(at: MonotonicInstant(nanoseconds: 2), "late")
        let firstCancel = queue.cancel(early)
        let secondCancel = queue.cancel(early)
        #expect(firstCancel)
        #expect(!secondCancel)
        #expect(queue.nextDeadline() == MonotonicInstant(nanoseconds: 2))
        #expect(queue.popExpired(now: MonotonicInstant(nanoseconds: 100)) == "late")
        #expect(queue.popExpired(now: MonotonicInstant(nanoseconds: 100)) == nil)
    }

    /// 100,000 pending timers with most of them cancelled: the survivors still fire in order and the garbage is
    /// compacted instead of accumulating.
    @Test func manyPendingWithCancellation() {
        var queue = TimerQueue<Int>()
        var ids: [TimerID] = []
        for index in 0..<100_000 {
            ids.append(queue.schedule(at: MonotonicInstant(nanoseconds: UInt64(100_000 - index)), index))
        }
        #expect(queue.count == 100_000)
        for (index, id) in ids.enumerated() where index % 10 != 0 {
            queue.cancel(id)
        }
        #expect(queue.count == 10_000)
        var previous = -1
        var fired = 0
        while let payload = queue.popExpired(now: MonotonicInstant(nanoseconds: .max)) {
            #expect(payload % 10 == 0)
            #expect(previous == -1 || payload < previous)
            previous = payload
            fired += 1
        }
        #expect(fired == 10_000)
    }
}

@Suite struct DurationClampTests {
    /// Durations below zero, including those between -1 s and 0, count as zero instead of trapping.
    @Test func negativeDurationsClampToZero() {
        #expect(Duration.milliseconds(-5).nanosecondsClamped == 0)
        #expect(Duration.seconds(-3).nanosecondsClamped == 0)
        #expect(Duration.milliseconds(1500).nanosecondsClamped == 1_500_000_000)
        #expect(Duration.seconds(Int64.max).nanosecondsClamped == UInt64.max / 2)
    }
}
