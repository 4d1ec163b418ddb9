import Glibc
import RespClient

/// A plain blocking Redis client on a raw socket, independent of `RedisConnection`, for test assertions.
public final class BlockingRedisClient {
    private let fd: Int32
    private var decoder = RESPDecoder()

    public init(port: Int, password: String? = nil) throws {
        fd = try RawSocket.connect(port: port, timeout: 5)
        if let password {
            _ = try command("AUTH", password)
        }
    }

    deinit {
        close(fd)
    }

    /// Sends one command and returns its reply (error replies come back as `.error`, not thrown).
    @discardableResult
    public func command(_ arguments: String...) throws -> RESPValue {
        try command(arguments)
    }

    public func command(_ arguments: [String]) throws -> RESPValue {
        var bytes: [UInt8] = []
        RESPEncoder.appendCommand(arguments.map { .string($0) }, to: &bytes)
        try RawSocket.sendAll(fd, bytes)
        return try reply()
    }

    private func reply() throws -> RESPValue {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let value = try decoder.next() { return value }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw TestSetupError("redis closed the connection or timed out") }
            decoder.feed(Array(buffer[0..<count]))
        }
    }

    public func integer(_ arguments: String...) throws -> Int {
        guard case .integer(let value) = try command(arguments) else {
            throw TestSetupError("expected an integer reply to \(arguments)")
        }
        return Int(value)
    }

    /// Every entry id of a stream, oldest first.
    public func streamIDs(_ key: String) throws -> [String] {
        guard case .array(let entries) = try command("XRANGE", key, "-", "+") else { return [] }
        return entries.compactMap { entry -> String? in
            guard case .array(let parts) = entry, let id = parts.first?.string else { return nil }
            return id
        }
    }
}

/// Blocking loopback sockets with timeouts, for test clients.
public enum RawSocket {
    public static func connect(port: Int, timeout seconds: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket: errno \(errno)") }
        var time = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw TestSetupError("connect to 127.0.0.1:\(port): errno \(code)")
        }
        return fd
    }

    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestSetupError("send failed: errno \(errno)") }
            offset += sent
        }
    }
}
