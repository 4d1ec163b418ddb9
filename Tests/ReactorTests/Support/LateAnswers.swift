@testable import Reactor

/// A thread that answers requests after a delay, the way a worker pool would: a second event loop used only for its
/// timers.
///
/// Test code must not sleep on Dispatch's global queues: on Linux they are the same threads that run the tests, and
/// blocking them starves every other test. One shared loop thread serves the whole process.
final class LateAnswers: Sendable {
    static let shared = try! LateAnswers()

    private let loop: EventLoop
    private let thread: OSThread

    private init() throws {
        (loop, thread) = try EventLoop.startThread(name: "late-answers")
    }

    /// Calls `responder.respond(response)` on this thread once `delay` has passed.
    func respond(_ responder: HTTPResponder, with response: HTTPResponse, after delay: Duration) {
        let loop = self.loop
        loop.execute { loop.scheduleTimer(after: delay) { responder.respond(response) } }
    }
}
