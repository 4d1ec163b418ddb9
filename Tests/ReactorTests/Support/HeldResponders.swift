import Synchronization

@testable import Reactor

/// Responders a handler hands over so the test decides when, and from which thread, each request is answered.
final class HeldResponders: Sendable {
    private let stored = Mutex<[HTTPResponder]>([])

    func keep(_ responder: HTTPResponder) {
        stored.withLock { $0.append(responder) }
    }

    var count: Int { stored.withLock { $0.count } }

    func responder(_ index: Int) -> HTTPResponder {
        stored.withLock { $0[index] }
    }
}
