import CReactorShim
import Glibc

/// A joinable POSIX thread. The reactor and the consumer pool run on threads they own outright, rather than on a
/// shared pool whose threads could be blocked by somebody else's work.
public final class OSThread: @unchecked Sendable {
    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    private let handle: pthread_t
    private var joined = false

    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        handle = Self.spawn(name: name, body)
    }

    /// Runs `body` on a new thread that nobody joins: its resources go back to the system when it returns. For
    /// one-off blocking work whose result comes back by other means (a host name resolved for a reconnect).
    public static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let status = pthread_detach(spawn(name: name, body))
        precondition(status == 0, "pthread_detach failed: \(status)")
    }

    private static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        var handle = pthread_t()
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let status = pthread_create(
            &handle, nil,
            { argument in
                let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                // Linux limits thread names to 15 bytes; a longer name would make the call fail.
                _ = crs_set_thread_name(String(decoding: box.name.utf8.prefix(15), as: UTF8.self))
                box.body()
                return nil
            }, box)
        precondition(status == 0, "pthread_create failed: \(status)")
        return handle
    }

    /// Waits for the thread to finish. Call at most once.
    public func join() {
        precondition(!joined, "thread joined twice")
        joined = true
        pthread_join(handle, nil)
    }
}
