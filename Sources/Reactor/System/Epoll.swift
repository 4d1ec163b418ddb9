import CReactorShim
import Glibc

/// The readiness a registration asks for, and the readiness epoll reports.
public struct EpollEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = EpollEvents(rawValue: EPOLLIN.rawValue)
    public static let writable = EpollEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer shut down its write side (or the whole connection).
    public static let readHangup = EpollEvents(rawValue: EPOLLRDHUP.rawValue)
    /// Always reported by the kernel, whether asked for or not.
    public static let hangup = EpollEvents(rawValue: EPOLLHUP.rawValue)
    public static let error = EpollEvents(rawValue: EPOLLERR.rawValue)
}

/// Wrappers over epoll(7). Level-triggered throughout: a handler that stops early because of its per-tick budget
/// is simply called again next tick, with no risk of a lost edge.
public enum Epoll {
    @inline(never)
    public static func create() throws(SystemError) -> Int32 {
        try checkedSyscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
    }

    @inline(never)
    public static func add(_ epfd: Int32, fd: Int32, events: EpollEvents, data: UInt64) throws(SystemError) {
        try control(epfd, EPOLL_CTL_ADD, fd, events, data)
    }

    @inline(never)
    public static func modify(_ epfd: Int32, fd: Int32, events: EpollEvents, data: UInt64) throws(SystemError) {
        try control(epfd, EPOLL_CTL_MOD, fd, events, data)
    }

    @inline(never)
    public static func delete(_ epfd: Int32, fd: Int32) throws(SystemError) {
        try control(epfd, EPOLL_CTL_DEL, fd, [], 0)
    }

    private static func control(
        _ epfd: Int32, _ operation: Int32, _ fd: Int32, _ events: EpollEvents, _ data: UInt64
    ) throws(SystemError) {
        var event = epoll_event()
        event.events = events.rawValue
        event.data.u64 = data
        _ = try checkedSyscall("epoll_ctl") { epoll_ctl(epfd, operation, fd, &event) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever). EINTR counts as "nothing happened", so a signal can
    /// never make the loop spin or throw.
    @inline(never)
    public static func wait(
        _ epfd: Int32, into events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32
    ) throws(SystemError) -> Int {
        let count = epoll_wait(epfd, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        if count >= 0 { return Int(count) }
        let code = Glibc.errno
        if code == EINTR { return 0 }
        throw SystemError("epoll_wait", errno: code)
    }
}

/// A non-blocking eventfd used as the loop's doorbell: other threads write to it, the loop reads it.
public enum EventFD {
    @inline(never)
    public static func create() throws(SystemError) -> Int32 {
        try checkedSyscall("eventfd") { eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK)) }
    }

    @inline(never)
    public static func signal(_ fd: Int32) {
        var one: UInt64 = 1
        // EAGAIN means the counter is saturated: the loop is already due to wake, so it is safe to ignore.
        _ = try? syscall("eventfd_write") { Glibc.write(fd, &one, 8) }
    }

    @inline(never)
    public static func drain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = try? syscall("eventfd_read") { Glibc.read(fd, &value, 8) }
    }
}
