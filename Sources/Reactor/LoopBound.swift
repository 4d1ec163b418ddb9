/// A value that is not `Sendable`, carried across threads to the loop that owns it and usable only there. A signal
/// handler, for example, can capture one and hand it to `execute` (SwiftNIO's `NIOLoopBound`).
///
/// Why `@unchecked Sendable` is sound: the wrapper is immutable, it is made on the loop's thread (or on the thread
/// that will run the loop, before it runs), and the wrapped value is reachable only through `value`, which traps on
/// any other thread. So however many threads hold copies of the wrapper, only the loop thread touches the value.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let wrapped: Value

    public init(_ value: Value, loop: EventLoop) {
        precondition(loop.isOwnedByCallingThread, "LoopBound made off the loop thread")
        self.loop = loop
        self.wrapped = value
    }

    /// The value; only on the loop thread.
    public var value: Value {
        precondition(loop.inLoop, "LoopBound value used off the loop thread")
        return wrapped
    }
}
