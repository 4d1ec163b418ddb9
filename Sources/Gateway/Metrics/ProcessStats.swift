import Glibc
import Reactor
import Synchronization

/// Resident memory and open descriptors of this process, read from /proc at scrape time (never on the hot path).
enum ProcessStats {
    /// The readings one `/metrics` or `/status` answer shows.
    struct Sample: Sendable {
        var residentBytes = 0
        var openDescriptors = 0
        var maxDescriptors = 0
    }

    /// How long one reading of /proc serves every `/status` and `/metrics` answer. Counting /proc/self/fd walks one
    /// entry per descriptor (milliseconds at 10,000 connections), and an open console asks twice a second; with
    /// this, any number of consoles and scrapers cost one walk per second.
    static let sampleMaxAgeNanoseconds: UInt64 = 1_000_000_000

    private static let cache = Mutex<(takenAt: MonotonicInstant, sample: Sample)?>(nil)

    /// The readings, at most `sampleMaxAgeNanoseconds` old.
    static func recentSample() -> Sample {
        let now = SystemClock().now()
        if let cached = cache.withLock({ $0 }), now.nanoseconds(since: cached.takenAt) < sampleMaxAgeNanoseconds {
            return cached.sample
        }
        let sample = Sample(
            residentBytes: residentBytes(), openDescriptors: openDescriptors(), maxDescriptors: maxDescriptors())
        cache.withLock { $0 = (now, sample) }
        return sample
    }

    static func residentBytes() -> Int {
        // statm: size resident shared text lib data dt (in pages)
        guard let text = readSmallFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let first = withUnsafeBytes(of: entry.pointee.d_name) { $0.first ?? 0 }
            if first != UInt8(ascii: ".") { count += 1 }
        }
        return max(0, count - 1)  // the directory stream itself holds one
    }

    static func maxDescriptors() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(clamping: limit.rlim_cur)
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
