// What the loop calls: readiness handlers, timer handlers and end-of-tick flushes, plus the registration that ties a
// descriptor to its handler.

/// Something registered with the loop for readiness of one fd.
public protocol EventHandler: AnyObject {
    /// Called on the loop thread with the readiness that fired, already narrowed to what the registration asks for
    /// (plus hang-up and error, which the kernel always reports).
    func handleEvents(_ events: EpollEvents)
}

/// An object with one deadline at a time (a connection's timeout). Scheduling it costs no allocation, unlike a
/// closure, which matters with a timer per connection.
public protocol TimerHandler: AnyObject {
    func timerFired()
}

/// Something that buffers output during a tick and writes it once, just before the loop sleeps.
public protocol FlushHandler: AnyObject {
    func flush()
}

/// A live registration: the fd plus the generation it was registered under. An event whose generation does not
/// match the slot's current one belongs to an fd that was closed (and possibly reused) earlier in the same tick, and
/// is dropped instead of being delivered to the newcomer.
public struct Registration: Hashable, Sendable {
    public let fd: Int32
    let generation: UInt32
}

/// Drains the eventfd so it stops being readable; the tasks themselves are picked up by `runTasks`.
final class Doorbell: EventHandler {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func handleEvents(_ events: EpollEvents) { EventFD.drain(fd) }
}
