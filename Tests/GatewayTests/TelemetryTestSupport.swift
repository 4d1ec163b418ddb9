import Glibc

/// Calls `body` with `bytes` copied to the very end of a readable page followed by a PROT_NONE page, so that any
/// read past the last byte crashes the test instead of passing unnoticed (picohttpparser's test fixture).
func withGuardedBytes<Result>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let dataPages = max(1, (bytes.count + pageSize - 1) / pageSize)
    let length = (dataPages + 1) * pageSize
    let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    precondition(mapping != MAP_FAILED, "mmap failed")
    let base = mapping!
    defer { munmap(base, length) }
    precondition(mprotect(base + dataPages * pageSize, pageSize, PROT_NONE) == 0, "mprotect failed")
    let start = base + dataPages * pageSize - bytes.count
    bytes.withUnsafeBytes { source in
        if let source = source.baseAddress {
            start.copyMemory(from: source, byteCount: bytes.count)
        }
    }
    return body(UnsafeRawBufferPointer(start: start, count: bytes.count))
}

/// SplitMix64: a tiny seeded generator, so random inputs are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
