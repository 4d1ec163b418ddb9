import Synchronization

/// Bounds the events the gateway holds without having answered: queued for a consumer, being validated, or
/// awaiting Redis. Admission is decided on the reactor thread before anything is queued, so an overloaded gateway
/// answers 503 at once instead of letting latency grow without bound.
///
/// A share of the capacity is reserved for requests whose events are all HIGH priority: under overload those are
/// shed last. A request is always admitted when nothing at all is pending, so a batch larger than the capacity is
/// slow rather than impossible.
final class Admission: Sendable {
    let capacity: Int
    let reserved: Int
    private let pending = Atomic<Int>(0)

    init(capacity: Int, highPriorityShare: Double) {
        self.capacity = capacity
        self.reserved = min(capacity - 1, Int((Double(capacity) * highPriorityShare).rounded()))
    }

    /// Reserves room for `events`; false means answer 503.
    func admit(events: Int, highPriority: Bool) -> Bool {
        let limit = highPriority ? capacity : capacity - reserved
        let before = pending.add(events, ordering: .relaxed).oldValue
        if before == 0 || before + events <= limit { return true }
        pending.subtract(events, ordering: .relaxed)
        return false
    }

    func release(events: Int) {
        pending.subtract(events, ordering: .relaxed)
    }

    var pendingEvents: Int { pending.load(ordering: .relaxed) }

    /// Turns a request's reservation from what the reactor estimated (`admitted`) into the events `decoded` has,
    /// before anything is sent to Redis. The reactor admits a compressed body as one event, since counting would
    /// mean inflating it on the loop thread; the rest is reserved here, under the same rules as `admit`, so the
    /// bound still holds for every event that exists. Returns the events now reserved, or nil when the extra
    /// events do not fit (the original reservation is then still held, and released by the 503).
    func settle(admitted: Int, decoded batch: TelemetryBatch) -> Int? {
        let count = max(1, batch.events.count)
        if count < admitted {
            release(events: admitted - count)
            return count
        }
        let extra = count - admitted
        guard extra > 0 else { return admitted }
        let highPriority = batch.events.allSatisfy { $0.priority == .high }
        let limit = highPriority ? capacity : capacity - reserved
        let before = pending.add(extra, ordering: .relaxed).oldValue
        // As in `admit`: a request alone in the gateway is always admitted, so a batch above the capacity is slow
        // rather than impossible.
        if before <= admitted || before + extra <= limit { return count }
        pending.subtract(extra, ordering: .relaxed)
        return nil
    }
}
