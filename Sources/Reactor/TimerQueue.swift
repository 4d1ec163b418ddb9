/// Identifies a scheduled timer so it can be cancelled. IDs are never reused within a loop's lifetime.
public struct TimerID: Hashable, Sendable {
    let value: UInt64
}

/// One-shot timers ordered by deadline: a binary min-heap of (deadline, id) plus a table of the live callbacks.
///
/// Cancelling only removes the callback from the table; the heap entry is dropped lazily when it reaches the top
/// (Redis `ae` marks deleted timers the same way). Schedule and pop are O(log n) and cancel is O(1), so 100,000
/// pending connection timeouts cost a few megabytes and no per-tick scan. When cancelled entries outnumber live
/// ones the heap is rebuilt, which bounds the garbage.
struct TimerQueue<Payload> {
    private struct Entry {
        var deadline: UInt64
        var id: UInt64
    }

    private var heap: [Entry] = []
    private var live: [UInt64: Payload] = [:]
    private var nextID: UInt64 = 1

    /// A heap this small is never rebuilt, whatever it holds: its garbage costs less than the rebuild.
    static var minimumHeapToRebuild: Int { 64 }

    var count: Int { live.count }

    mutating func schedule(at deadline: MonotonicInstant, _ payload: Payload) -> TimerID {
        let id = nextID
        nextID += 1
        live[id] = payload
        push(Entry(deadline: deadline.nanoseconds, id: id))
        return TimerID(value: id)
    }

    /// Returns true when the timer was still pending.
    @discardableResult
    mutating func cancel(_ id: TimerID) -> Bool {
        guard live.removeValue(forKey: id.value) != nil else { return false }
        if heap.count > Self.minimumHeapToRebuild && heap.count > 2 * live.count { rebuild() }
        return true
    }

    /// The earliest deadline of a live timer.
    mutating func nextDeadline() -> MonotonicInstant? {
        dropCancelledTop()
        return heap.first.map { MonotonicInstant(nanoseconds: $0.deadline) }
    }

    /// Removes and returns the payload of the earliest timer due at `now`, or nil when none is due.
    mutating func popExpired(now: MonotonicInstant) -> Payload? {
        dropCancelledTop()
        guard let top = heap.first, top.deadline <= now.nanoseconds else { return nil }
        popTop()
        return live.removeValue(forKey: top.id)
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, live[top.id] == nil { popTop() }
    }

    private mutating func rebuild() {
        heap.removeAll { live[$0.id] == nil }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            let right = left + 1
            if right < heap.count && Self.precedes(heap[right], heap[left]) { smallest = right }
            guard Self.precedes(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }

    /// Earlier deadline first; equal deadlines fire in scheduling order.
    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id
    }
}
