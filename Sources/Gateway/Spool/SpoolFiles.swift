import Glibc
import Reactor

/// The file system calls of the spool, all made on the spool thread (recovery included): never on the reactor.
///
/// Each call retries EINTR and throws a `SystemError` naming the call and the path, so a failure's log line says
/// what failed where (`pwrite /var/spool/telemetry/0000000000000003.seg: No space left on device`).
enum SpoolFiles {
    static func openDirectory(_ path: String) throws(SystemError) -> Int32 {
        try check("open \(path)") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    /// Creates `path` and its missing parents (mode 0750).
    static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST { throw SystemError("mkdir \(prefix)", errno: errno) }
            prefix += "/"
        }
    }

    /// An exclusive lock on `<directory>/lock`, held as long as the returned descriptor is open (the kernel releases
    /// it when the process dies, kill -9 included), so two gateways never share a spool.
    static func lock(directory: String) throws(SystemError) -> Int32 {
        let fd = try check("open \(directory)/lock") { open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o640) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            throw SystemError("flock \(directory)/lock (is another gateway using this spool?)", errno: code)
        }
        return fd
    }

    static func openFile(_ path: String, flags: Int32) throws(SystemError) -> Int32 {
        try check("open \(path)") { open(path, flags | O_CLOEXEC, 0o640) }
    }

    /// Writes all of `bytes` at `offset`; a short write (the disk filled up mid-way) continues until the kernel
    /// reports why it cannot.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws(SystemError)
    {
        var done = 0
        while done < bytes.count {
            let written = try check("pwrite \(path)") {
                pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            done += Int(written)
        }
    }

    /// Reads `count` bytes at `offset` (fewer only at the end of the file).
    static func read(_ fd: Int32, count: Int, at offset: Int, path: String) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        try buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(SystemError) in
                while done < count {
                    let got = try check("pread \(path)") {
                        pread(fd, bytes.baseAddress! + done, count - done, off_t(offset + done))
                    }
                    if got == 0 { break }
                    done += got
                }
            }
        }.get()
        buffer.removeLast(count - done)
        return buffer
    }

    static func readWholeFile(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = try openFile(path, flags: O_RDONLY)
        defer { close(fd) }
        let size = try fileSize(fd, path: path)
        return try read(fd, count: size, at: 0, path: path)
    }

    static func fileSize(_ fd: Int32, path: String) throws(SystemError) -> Int {
        var info = stat()
        _ = try check("fstat \(path)") { fstat(fd, &info) }
        return Int(info.st_size)
    }

    static func dataSync(_ fd: Int32, path: String) throws(SystemError) {
        _ = try check("fdatasync \(path)") { fdatasync(fd) }
    }

    /// Makes a created, renamed or removed name in the directory durable.
    static func syncDirectory(_ fd: Int32, path: String) throws(SystemError) {
        _ = try check("fsync \(path)") { fsync(fd) }
    }

    static func truncate(_ fd: Int32, to size: Int, path: String) throws(SystemError) {
        _ = try check("ftruncate \(path)") { ftruncate(fd, off_t(size)) }
    }

    static func remove(_ path: String) throws(SystemError) {
        _ = try check("unlink \(path)") { unlink(path) }
    }

    static func rename(_ from: String, to: String) throws(SystemError) {
        _ = try check("rename \(from)") { Glibc.rename(from, to) }
    }

    /// Names in `path`, "." and ".." excluded.
    static func list(_ path: String) throws(SystemError) -> [String] {
        guard let directory = opendir(path) else { throw SystemError("opendir \(path)", errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Writes all of `bytes` at `offset` (see `writeAll(_:_:at:path:)`).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(SystemError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in try writeAll(fd, raw, at: offset, path: path) }
        }.get()
    }

    private static func check<T: BinaryInteger>(
        _ call: @autoclosure () -> String, _ body: () -> T
    ) throws(SystemError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(call(), errno: code)
        }
    }
}
