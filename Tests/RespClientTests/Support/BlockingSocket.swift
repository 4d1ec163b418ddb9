import Glibc

/// A failure of the test harness's own sockets, with the call and errno, so a broken fixture says what broke.
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    static func system(_ call: String) -> HarnessError {
        HarnessError("\(call): \(String(cString: strerror(errno))) (errno \(errno))")
    }
}

/// A blocking TCP socket with a read buffer, for test fixtures that must not depend on the reactor under test.
///
/// Every read waits at most `timeoutSeconds` (SO_RCVTIMEO), so a client or server that goes silent fails the test
/// instead of hanging it.
final class BlockingSocket {
    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private var readIndex = 0

    init(fd: Int32, timeoutSeconds: Int = 10) {
        self.fd = fd
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        close()
    }

    /// Connects to 127.0.0.1:`port`.
    static func connect(port: Int, timeoutSeconds: Int = 10) throws(HarnessError) -> BlockingSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        var address = loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = HarnessError.system("connect to 127.0.0.1:\(port)")
            Glibc.close(fd)
            throw error
        }
        return BlockingSocket(fd: fd, timeoutSeconds: timeoutSeconds)
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    func send(_ bytes: [UInt8]) throws(HarnessError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .system("send")
            }
            offset += written
        }
    }

    func send(_ text: String) throws(HarnessError) {
        try send(Array(text.utf8))
    }

    /// The next line without its CRLF, or nil at end of stream.
    func readLine() throws(HarnessError) -> [UInt8]? {
        // Bytes after `readIndex` already searched; an offset, because `fill` moves the unread bytes to the front.
        var searched = 0
        while true {
            if let lf = buffer[(readIndex + searched)...].firstIndex(of: UInt8(ascii: "\n")) {
                if lf > readIndex && buffer[lf - 1] == UInt8(ascii: "\r") {
                    let line = Array(buffer[readIndex..<(lf - 1)])
                    readIndex = lf + 1
                    return line
                }
                searched = lf + 1 - readIndex
                continue
            }
            searched = buffer.count - readIndex
            guard try fill() else { return nil }
        }
    }

    /// Exactly `count` bytes, or nil at end of stream.
    func read(count: Int) throws(HarnessError) -> [UInt8]? {
        while buffer.count - readIndex < count {
            guard try fill() else { return nil }
        }
        let bytes = Array(buffer[readIndex..<(readIndex + count)])
        readIndex += count
        return bytes
    }

    /// True once the peer has closed its side and every buffered byte is consumed.
    func isAtEnd() throws(HarnessError) -> Bool {
        if readIndex < buffer.count { return false }
        return try !fill()
    }

    /// Reads whatever arrives next; false at end of stream or on a reset.
    private func fill() throws(HarnessError) -> Bool {
        if readIndex > 0 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 { return false }
            switch errno {
            case EINTR: continue
            case ECONNRESET: return false
            case EAGAIN: throw HarnessError("read timed out")
            default: throw .system("read")
            }
        }
    }
}
