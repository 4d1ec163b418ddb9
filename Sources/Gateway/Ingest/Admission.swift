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
}
