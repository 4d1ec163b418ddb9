import Glibc

/// Memory whose last usable byte sits right before a `PROT_NONE` page, so a parser that reads even one byte past the
/// input it was given crashes the test instead of silently reading a neighbour's bytes (picohttpparser's test trick).
public final class GuardedBuffer {
    private let base: UnsafeMutableRawPointer
    private let usableBytes: Int
    private let mappedBytes: Int

    public init(capacity: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        usableBytes = max(page, (capacity + page - 1) / page * page)
        mappedBytes = usableBytes + page
        let mapped = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(mapped != MAP_FAILED, "mmap failed")
        base = mapped!
        precondition(mprotect(base + usableBytes, page, PROT_NONE) == 0, "mprotect failed")
    }

    deinit {
        munmap(base, mappedBytes)
    }

    /// Copies `bytes` so they end exactly at the guard page and calls body with them.
    public func withBytesAtGuard<Value>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Value) -> Value {
        precondition(bytes.count <= usableBytes, "guarded buffer too small")
        let start = base + (usableBytes - bytes.count)
        bytes.withUnsafeBytes { source in
            if let source = source.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
        }
        return body(UnsafeRawBufferPointer(start: start, count: bytes.count))
    }
}

/// Calls `body` with `bytes` ending right before a guard page, in a buffer made for this one call.
public func withGuardedBytes<Value>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Value) -> Value {
    GuardedBuffer(capacity: bytes.count).withBytesAtGuard(bytes, body)
}
