import Foundation
import Glibc
import RedisServerLauncher

/// Ports, directories and programs of the machine the tests run on.
public enum TestEnvironment {
    /// A TCP port on 127.0.0.1 that nothing listened on a moment ago: bind port 0 and ask the kernel which it picked.
    public static func freePort() throws(HarnessError) -> Int {
        let (fd, port) = try bindLoopback()
        Glibc.close(fd)
        return port
    }

    /// Whether a TCP port on 127.0.0.1 can be bound right now.
    public static func isFree(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var address = BlockingSocket.loopbackAddress(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A socket bound to 127.0.0.1 on a port the kernel picks, and listening when `listenBacklog` is given; the caller
    /// closes it.
    public static func bindLoopback(listenBacklog: Int32? = nil) throws(HarnessError) -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        var address = BlockingSocket.loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && (listenBacklog.map { listen(fd, $0) == 0 } ?? true)
                    && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            let error = HarnessError.system("bind/listen on 127.0.0.1")
            Glibc.close(fd)
            throw error
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A fresh directory under the temporary directory; the caller removes it.
    public static func temporaryDirectory(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Finds a program on PATH, or in the usual system directories when PATH lacks them.
    public static func which(_ program: String) -> String? {
        RedisServerLauncher.which(program)
    }
}
