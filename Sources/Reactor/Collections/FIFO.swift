/// A first-in-first-out queue: an array and the index of its oldest element.
///
/// `popFirst` is O(1): it only advances the head. The consumed prefix is dropped when the queue empties (keeping the
/// storage, so a steady pipeline allocates nothing) or, when the queue never empties, once it is at least
/// `compactionThreshold` elements and half the storage, so memory stays proportional to what is queued.
///
/// Every member is `@inlinable`: a generic type used from another module (the Redis pipeline's reply FIFO lives in
/// `RespClient`) is otherwise run unspecialized, looking up type metadata and witness tables on each call, which
/// callgrind measured at about 500 instructions per request on the gateway's POST path.
public struct FIFO<Element> {
    /// Consumed elements tolerated at the front before they are removed: large enough that compaction (a move of the
    /// live elements) is rare, small enough that the dead prefix is never more than the live part plus this many.
    @inlinable static var compactionThreshold: Int { 1024 }

    @usableFromInline var storage: [Element] = []
    @usableFromInline var head = 0

    @inlinable public init() {}

    @inlinable public var isEmpty: Bool { head == storage.count }
    @inlinable public var count: Int { storage.count - head }
    /// Elements the storage holds without growing, consumed prefix included.
    @inlinable public var capacity: Int { storage.capacity }
    /// The oldest element, without removing it.
    @inlinable public var first: Element? { isEmpty ? nil : storage[head] }

    /// The element `offset` places behind the oldest (0 is `first`), for queues whose entries are filled in where
    /// they stand, such as responses completed out of order and sent in order. Mutated in place (`_modify`), so
    /// setting one field does not copy the element.
    @inlinable public subscript(offset offset: Int) -> Element {
        get {
            precondition(offset >= 0 && offset < count, "FIFO offset out of range")
            return storage[head + offset]
        }
        _modify {
            precondition(offset >= 0 && offset < count, "FIFO offset out of range")
            yield &storage[head + offset]
        }
    }

    @inlinable public mutating func append(_ element: Element) {
        storage.append(element)
    }

    @inlinable public mutating func append<S: Sequence>(contentsOf elements: S) where S.Element == Element {
        storage.append(contentsOf: elements)
    }

    @inlinable public mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        compactIfWorthIt()
        return element
    }

    /// Moves up to `limit` of the oldest elements, in order, to the end of `batch`.
    @inlinable public mutating func popFirst(upTo limit: Int, into batch: inout [Element]) {
        let end = min(storage.count, head + limit)
        batch.append(contentsOf: storage[head..<end])
        head = end
        compactIfWorthIt()
    }

    /// Removes every element, oldest first, handing each to `body`.
    @inlinable public mutating func drain(_ body: (Element) -> Void) {
        while let element = popFirst() { body(element) }
    }

    @inlinable public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    @inlinable mutating func compactIfWorthIt() {
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= Self.compactionThreshold && head * 2 >= storage.count {
            storage.removeSubrange(0..<head)
            head = 0
        }
    }
}
