import Glibc

/// A failed system call: which call, and the errno it left behind.
///
/// Every wrapper in `Posix`, `Epoll`, `EventFD` funnels through `syscall(_:_:)`, so this is the only error type the
/// system layer throws. Callers match on `errno` when they care (ECONNREFUSED, EMFILE, ...).
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call that did not fail: it either did its work or would have had to wait.
///
/// EAGAIN is a normal answer on a non-blocking fd, not an error, so it is a value here rather than a thrown error.
public enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

extension IOResult: Equatable where Value: Equatable {}
extension IOResult: Sendable where Value: Sendable {}

/// Runs one system call the way every call in this project is run: retried on EINTR, EAGAIN returned as
/// `.wouldBlock`, any other failure thrown as a `SystemError` naming the call.
///
/// EBADF and EFAULT mean the program handed the kernel a closed fd or a wild pointer; carrying on would corrupt some
/// other connection's state (a reused fd), so they stop the process here instead of surfacing as recoverable errors.
@inline(__always)
func syscall<Result: BinaryInteger>(_ call: StaticString, _ body: () -> Result) throws(SystemError) -> IOResult<Result>
{
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let code = Glibc.errno
        switch code {
        case EINTR:
            continue
        case EAGAIN, EWOULDBLOCK:
            return .wouldBlock
        case EBADF, EFAULT:
            preconditionFailure("\(call) failed with errno \(code): a closed fd or bad pointer is a bug")
        default:
            throw SystemError("\(call)", errno: code)
        }
    }
}

/// For calls on which EAGAIN cannot happen (bind, listen, setsockopt, epoll_ctl): the result, or a thrown error.
@inline(__always)
func checkedSyscall<Result: BinaryInteger>(_ call: StaticString, _ body: () -> Result) throws(SystemError) -> Result {
    switch try syscall(call, body) {
    case .processed(let value): return value
    case .wouldBlock: throw SystemError("\(call)", errno: EAGAIN)
    }
}
