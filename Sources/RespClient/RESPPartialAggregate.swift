/// An aggregate whose header has been read but whose elements have not all arrived.
///
/// The decoder keeps a stack of these instead of recursing, so a reply split across reads resumes where it stopped:
/// elements already decoded stay decoded, and the nesting depth is a count rather than the call stack.
struct RESPPartialAggregate {
    enum Kind {
        case array
        case set
        case push
        case map
        /// `|`: a map of pairs, then the one value it annotates.
        case attribute
    }

    let kind: Kind
    /// Elements (pairs, for maps and attributes) still to come.
    private var remaining: Int
    private var elements: [RESPValue] = []
    private var pairs: [RESPPair] = []
    private var pendingKey: RESPValue?
    /// An attribute whose pairs are all in: the next value is the annotated one and completes the frame.
    private var awaitingAnnotatedValue: Bool

    /// - Parameters:
    ///   - count: the element count from the header (pairs for maps and attributes); at least 1, except for an
    ///     attribute, which still owes its annotated value with no pairs.
    ///   - reserving: how many slots to allocate now, which the caller bounds by the bytes it has actually received
    ///     so that a header alone cannot make it allocate for a million elements.
    init(kind: Kind, count: Int, reserving: Int) {
        self.kind = kind
        remaining = count
        switch kind {
        case .array, .set, .push:
            elements.reserveCapacity(reserving)
        case .map, .attribute:
            pairs.reserveCapacity(reserving)
        }
        awaitingAnnotatedValue = kind == .attribute && count == 0
    }

    /// Adds the next decoded value and returns the finished aggregate once it was the last one, nil while more are
    /// owed.
    mutating func absorb(_ value: RESPValue) -> RESPValue? {
        if awaitingAnnotatedValue {
            return .attributed(pairs, value)
        }
        switch kind {
        case .array:
            return appendElement(value) ? .array(elements) : nil
        case .set:
            return appendElement(value) ? .set(elements) : nil
        case .push:
            return appendElement(value) ? .push(elements) : nil
        case .map:
            return appendPairHalf(value) ? .map(pairs) : nil
        case .attribute:
            awaitingAnnotatedValue = appendPairHalf(value)
            return nil
        }
    }

    /// Returns whether that was the last element.
    private mutating func appendElement(_ value: RESPValue) -> Bool {
        elements.append(value)
        remaining -= 1
        return remaining == 0
    }

    /// Takes a key, or the value completing the pending key's pair; returns whether that was the last pair.
    private mutating func appendPairHalf(_ value: RESPValue) -> Bool {
        guard let key = pendingKey else {
            pendingKey = value
            return false
        }
        pairs.append(RESPPair(key: key, value: value))
        pendingKey = nil
        remaining -= 1
        return remaining == 0
    }
}
