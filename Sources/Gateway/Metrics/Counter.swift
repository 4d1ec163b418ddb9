import Synchronization

/// A monotonically increasing count, safe to bump from any thread (one relaxed atomic add).
public final class Counter: Sendable {
    private let storage = Atomic<Int>(0)

    public init() {}

    public func add(_ amount: Int = 1) {
        storage.add(amount, ordering: .relaxed)
    }

    public var value: Int { storage.load(ordering: .relaxed) }
}

/// A value that goes up and down (queue depth, events pending).
public final class Gauge: Sendable {
    private let storage = Atomic<Int>(0)

    public init() {}

    /// Returns the new value.
    @discardableResult
    public func add(_ amount: Int) -> Int {
        storage.add(amount, ordering: .relaxed).newValue
    }

    /// For gauges read from elsewhere (the processor's group lag and pending count from Redis).
    public func set(_ value: Int) {
        storage.store(value, ordering: .relaxed)
    }

    public var value: Int { storage.load(ordering: .relaxed) }
}

/// A Prometheus histogram with fixed upper bounds. Observations are one atomic add per bucket hit plus the sum and
/// count; cumulative counts are computed at scrape time.
public final class Histogram: Sendable {
    public let upperBounds: [Double]
    private let buckets: [Counter]
    /// The sum in millionths of the unit, so it can be an integer atomic.
    private let sumMicros = Atomic<Int>(0)
    private let total = Counter()

    public init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        self.buckets = upperBounds.map { _ in Counter() }
    }

    public func observe(_ value: Double) {
        if let index = upperBounds.firstIndex(where: { value <= $0 }) {
            buckets[index].add()
        }
        sumMicros.add(Int(value * 1_000_000), ordering: .relaxed)
        total.add()
    }

    /// Cumulative counts per upper bound (the `le` buckets), the sum and the count (the `+Inf` bucket).
    public var snapshot: (cumulative: [Int], sum: Double, count: Int) {
        var running = 0
        let cumulative = buckets.map { counter -> Int in
            running += counter.value
            return running
        }
        return (cumulative, Double(sumMicros.load(ordering: .relaxed)) / 1_000_000, total.value)
    }
}

/// Latencies in microseconds with about 9% resolution, for percentiles: log-linear buckets (8 per power of two) plus
/// an exact maximum. p50/p95/p99 come out as the midpoint of the bucket that holds them.
final class LatencyRecorder: Sendable {
    private static let subBuckets = 8
    private static let bucketCount = 64 * subBuckets
    private let buckets: [Counter] = (0..<LatencyRecorder.bucketCount).map { _ in Counter() }
    private let maximum = Atomic<Int>(0)

    func record(microseconds: Int) {
        let value = max(1, microseconds)
        buckets[Self.index(of: value)].add()
        var current = maximum.load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = maximum.compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    var maxMicroseconds: Int { maximum.load(ordering: .relaxed) }

    /// The value below which `fraction` of the recorded latencies fall; 0 when nothing was recorded.
    func percentile(_ fraction: Double) -> Int {
        let counts = buckets.map(\.value)
        let recorded = counts.reduce(0, +)
        guard recorded > 0 else { return 0 }
        let rank = max(1, Int((fraction * Double(recorded)).rounded(.up)))
        var running = 0
        for (index, count) in counts.enumerated() {
            running += count
            if running >= rank {
                return min(Self.midpoint(of: index), maxMicroseconds)
            }
        }
        return maxMicroseconds
    }

    /// Every bucket that holds a latency, as (bucket midpoint in microseconds, count), cumulative since start. The
    /// console takes the difference of two readings to chart percentiles over the last second.
    var nonEmptyBuckets: [(midpointMicroseconds: Int, count: Int)] {
        buckets.enumerated().compactMap { index, counter in
            let count = counter.value
            return count == 0 ? nil : (Self.midpoint(of: index), count)
        }
    }

    static func index(of value: Int) -> Int {
        if value < subBuckets { return value }
        let exponent = Int.bitWidth - 1 - value.leadingZeroBitCount  // floor(log2(value)) >= 3
        let mantissa = (value >> (exponent - 3)) & (subBuckets - 1)  // the 3 bits after the leading one
        return min(bucketCount - 1, (exponent - 2) * subBuckets + mantissa)
    }

    static func midpoint(of index: Int) -> Int {
        if index < subBuckets { return index }
        let exponent = index / subBuckets + 2
        let mantissa = index % subBuckets
        let low = (subBuckets + mantissa) << (exponent - 3)
        let width = 1 << (exponent - 3)
        return low + width / 2
    }
}
