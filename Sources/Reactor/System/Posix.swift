import CReactorShim
import Glibc

/// Thin wrappers over the socket and file calls the reactor uses. Each one goes through `syscall(_:_:)`, so EINTR,
/// EAGAIN and errno are handled in exactly one place.
///
/// They are `@inline(never)` on purpose: in a perf profile each syscall then shows up under its own wrapper name
/// instead of being smeared into whichever caller inlined it.
public enum Posix {
    /// Ignores SIGPIPE for the whole process. A write to a peer that reset the connection must be an EPIPE we
    /// handle, not a signal that silently kills the gateway with exit code 141.
    public static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    /// Caps glibc's malloc arenas, unless MALLOC_ARENA_MAX is set in the environment (the operator's choice wins).
    ///
    /// glibc gives each thread that allocates its own arena, up to 8 per core. Memory a consumer thread allocates and
    /// the reactor frees goes back to the consumer's arena, so every arena grows to the peak of the in-flight data it
    /// ever held, and resident memory is roughly that peak times the number of arenas. Small allocations are served
    /// from per-thread caches without taking the arena lock, so sharing one arena costs little.
    public static func limitMallocArenas(_ arenas: Int32) {
        guard getenv("MALLOC_ARENA_MAX") == nil else { return }
        _ = crs_limit_malloc_arenas(arenas)
    }

    @inline(never)
    public static func socket(domain: Int32, type: Int32) throws(SystemError) -> Int32 {
        try checkedSyscall("socket") {
            Glibc.socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    @inline(never)
    public static func socketpair() throws(SystemError) -> (Int32, Int32) {
        var fds: (Int32, Int32) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &fds) { (raw) throws(SystemError) -> Int32 in
            let pointer = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            return try checkedSyscall("socketpair") { Glibc.socketpair(AF_UNIX, type, 0, pointer) }
        }
        return fds
    }

    @inline(never)
    public static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(SystemError) {
        var value = value
        _ = try checkedSyscall("setsockopt") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    @inline(never)
    public static func getOption(_ fd: Int32, level: Int32, name: Int32) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try checkedSyscall("getsockopt") { getsockopt(fd, level, name, &value, &length) }
        return value
    }

    @inline(never)
    public static func bind(_ fd: Int32, _ address: SocketAddress) throws(SystemError) {
        _ = try address.withSockAddr { (pointer, length) throws(SystemError) -> Int32 in
            try checkedSyscall("bind") { Glibc.bind(fd, pointer, length) }
        }
    }

    @inline(never)
    public static func listen(_ fd: Int32, backlog: Int32) throws(SystemError) {
        _ = try checkedSyscall("listen") { Glibc.listen(fd, backlog) }
    }

    /// Starts a non-blocking connect: `.processed` when it completed at once (loopback can), `.wouldBlock` when it
    /// is in progress and completion will be signalled by writability.
    @inline(never)
    public static func connect(_ fd: Int32, _ address: SocketAddress) throws(SystemError) -> IOResult<Void> {
        let result = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, length) }
        if result == 0 { return .processed(()) }
        let code = Glibc.errno
        if code == EINPROGRESS || code == EINTR { return .wouldBlock }
        throw SystemError("connect", errno: code)
    }

    /// Accepts one connection as a non-blocking, close-on-exec fd.
    @inline(never)
    public static func accept(_ fd: Int32) throws(SystemError) -> IOResult<Int32> {
        try syscall("accept4") {
            crs_accept4(fd, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        }
    }

    @inline(never)
    public static func read(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer
    ) throws(SystemError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `send` with MSG_NOSIGNAL: a closed peer yields EPIPE, never SIGPIPE.
    @inline(never)
    public static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    @inline(never)
    public static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try syscall("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    @inline(never)
    public static func open(_ path: String, flags: Int32) throws(SystemError) -> Int32 {
        try checkedSyscall("open") { Glibc.open(path, flags | O_CLOEXEC) }
    }

    /// Closes an fd. EINTR is not retried: on Linux the fd is released even when close is interrupted, and a retry
    /// could close an fd another thread just received (see LWN "close() and EINTR").
    @inline(never)
    public static func close(_ fd: Int32) {
        precondition(fd >= 0, "closing a negative fd")
        if Glibc.close(fd) != 0 {
            let code = Glibc.errno
            precondition(code != EBADF, "close(\(fd)): EBADF means a double close")
        }
    }

    @inline(never)
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// The pending socket error (SO_ERROR), used to learn how a non-blocking connect ended.
    public static func socketError(_ fd: Int32) throws(SystemError) -> Int32 {
        try getOption(fd, level: SOL_SOCKET, name: SO_ERROR)
    }

    public static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(SystemError) -> Int32 in
                try checkedSyscall("getsockname") { getsockname(fd, address, &length) }
            }
        }
        return SocketAddress(storage)
    }
}
