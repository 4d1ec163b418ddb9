import Glibc
import Synchronization

/// A point on a monotonic clock, in nanoseconds since an arbitrary origin. Timers and timeouts use it so that a
/// wall-clock step (NTP, DST) can never fire or postpone them.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: Self, rhs: Duration) -> Self {
        Self(nanoseconds: lhs.nanoseconds &+ rhs.nanosecondsClamped)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    public func nanoseconds(since earlier: Self) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }
}

extension Duration {
    /// The duration in whole nanoseconds, negative durations as zero and huge ones saturated.
    public var nanosecondsClamped: UInt64 {
        let (seconds, attoseconds) = components
        // Negative durations come in two shapes: negative seconds, or zero seconds and negative attoseconds.
        if seconds < 0 || attoseconds < 0 { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return UInt64.max / 2 }
        return whole + UInt64(attoseconds / 1_000_000_000)
    }
}

/// Where the loop reads the time. Tests substitute `ManualClock` to drive timers without sleeping.
public protocol MonotonicClock: Sendable {
    func now() -> MonotonicInstant
}

/// CLOCK_MONOTONIC.
public struct SystemClock: MonotonicClock {
    public init() {}

    public func now() -> MonotonicInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicInstant(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }
}

/// A clock that only moves when told to.
public final class ManualClock: MonotonicClock {
    private let current: Mutex<UInt64>

    public init(start: UInt64 = 1_000_000_000) {
        current = Mutex(start)
    }

    public func now() -> MonotonicInstant {
        MonotonicInstant(nanoseconds: current.withLock { $0 })
    }

    public func advance(by duration: Duration) {
        current.withLock { $0 += duration.nanosecondsClamped }
    }
}

/// Unix time in milliseconds from CLOCK_REALTIME, for timestamps shown to people (received_at, Date header).
public func wallClockMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec / 1_000_000)
}
