import Glibc

/// A blocking loopback TCP socket with a read buffer, for test clients and scripted servers that must not depend on
/// the reactor under test.
///
/// Every read and write waits at most the timeout given at creation (SO_RCVTIMEO, SO_SNDTIMEO), so a peer that goes
/// silent fails the test with `.timedOut` instead of hanging the suite. The timeout bounds a hang; it measures nothing.
public class BlockingSocket {
    /// What happened on the wire, precise enough for a test to assert on (a refused connect, a reset).
    public enum Failure: Error, Equatable {
        case connect(errno: Int32)
        case send(errno: Int32)
        case receive(errno: Int32)
        /// The peer ended the stream before what was being read was complete.
        case closed
        case reset
        case timedOut
        /// The peer sent bytes the reader cannot parse, or an answer it had no reason to send.
        case unexpected(String)
    }

    /// How the peer ended the stream, as `readToEnd` saw it.
    public enum Ending: Equatable {
        case eof
        case reset
        case timedOut
    }

    public private(set) var fd: Int32
    private var received: [UInt8] = []
    /// Where the unread bytes of `received` start; the consumed ones are dropped only before the next receive.
    private var readIndex = 0

    /// Takes over a connected or accepted `fd`: sets the timeouts and TCP_NODELAY, and closes it when done.
    public init(fd: Int32, timeout: Duration = .seconds(10)) {
        self.fd = fd
        var time = timeval(
            tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Connects to 127.0.0.1:`port`. A small `receiveBufferBytes` makes the kernel push back on the peer early.
    public convenience init(
        port: Int, timeout: Duration = .seconds(10), receiveBufferBytes: Int32? = nil
    )
        throws(Failure)
    {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .connect(errno: errno) }
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        self.init(fd: fd, timeout: timeout)
        var address = Self.loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            let code = errno
            // deinit runs for an initializer that throws once the object exists: close exactly once, here, or a
            // second close could hit a descriptor that a server in this process has accepted in the meantime.
            close()
            throw .connect(errno: code)
        }
    }

    deinit {
        close()
    }

    public static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    // MARK: Writing

    public func send(_ bytes: [UInt8]) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .send(errno: errno)
            }
            offset += written
        }
    }

    public func send(_ text: String) throws(Failure) {
        try send(Array(text.utf8))
    }

    /// Ends our direction only (a TCP FIN); the peer may still answer.
    public func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    /// Closes with SO_LINGER zero, so the peer sees a reset rather than a FIN.
    public func closeWithReset() {
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    // MARK: Reading

    /// True when unread bytes are buffered or waiting in the kernel (never blocks).
    public var hasPendingInput: Bool {
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return readIndex < received.count || poll(&probe, 1, 0) > 0
    }

    /// The next line, without its CRLF.
    public func readLine() throws(Failure) -> [UInt8] {
        try read(upTo: [0x0D, 0x0A])
    }

    /// The bytes before the next `delimiter`, which is consumed with them.
    public func read(upTo delimiter: [UInt8]) throws(Failure) -> [UInt8] {
        // Unread bytes already searched; an offset, because receiving moves the unread bytes to the front.
        var searched = 0
        while true {
            if let start = Self.firstIndex(of: delimiter, in: received, from: readIndex + searched) {
                let bytes = Array(received[readIndex..<start])
                readIndex = start + delimiter.count
                return bytes
            }
            searched = max(0, received.count - readIndex - (delimiter.count - 1))
            try receiveMore()
        }
    }

    /// Exactly `count` bytes.
    public func read(count: Int) throws(Failure) -> [UInt8] {
        while received.count - readIndex < count {
            try receiveMore()
        }
        defer { readIndex += count }
        return Array(received[readIndex..<(readIndex + count)])
    }

    /// Reads until the peer ends the stream; returns how it ended and every byte not yet read.
    public func readToEnd() -> (ending: Ending, leftover: [UInt8]) {
        while true {
            guard let failure = receiveOnce() else { continue }
            defer {
                received = []
                readIndex = 0
            }
            let leftover = Array(received[readIndex...])
            switch failure {
            case .closed: return (.eof, leftover)
            case .reset: return (.reset, leftover)
            default: return (.timedOut, leftover)
            }
        }
    }

    private func receiveMore() throws(Failure) {
        if let failure = receiveOnce() { throw failure }
    }

    /// Appends whatever arrives next; nil when something did.
    private func receiveOnce() -> Failure? {
        if readIndex > 0 {
            received.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        return withUnsafeTemporaryAllocation(byteCount: 64 * 1024, alignment: 1) { buffer in
            while true {
                let count = recv(fd, buffer.baseAddress, buffer.count, 0)
                if count > 0 {
                    received.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    return nil
                }
                if count == 0 { return .closed }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .timedOut
                case ECONNRESET: return .reset
                default: return .receive(errno: errno)
                }
            }
        }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            guard let candidate = haystack[index...(haystack.count - needle.count)].firstIndex(of: first) else {
                return nil
            }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            index = candidate + 1
        }
        return nil
    }
}
