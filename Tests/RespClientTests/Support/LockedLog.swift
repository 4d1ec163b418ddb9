import Synchronization

/// Values appended from any thread (the loop, a fake server) and read by the test, in append order.
final class LockedLog<Element: Sendable>: Sendable {
    private let log = Mutex<[Element]>([])

    func append(_ element: Element) {
        log.withLock { $0.append(element) }
    }

    var entries: [Element] { log.withLock { $0 } }
}
