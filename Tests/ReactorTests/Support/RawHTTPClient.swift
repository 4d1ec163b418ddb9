import Glibc

@testable import Reactor

/// A blocking loopback TCP client that writes exact bytes and parses what comes back itself, so a test sees
/// precisely what the server put on the wire and when it closed.
///
/// Every read has a receive timeout: a server that never answers fails the test with `.timedOut` instead of hanging
/// the suite. The timeout is an upper bound for a hang, not a measurement.
final class RawHTTPClient {
    enum Failure: Error, Equatable {
        case connect(errno: Int32)
        case send(errno: Int32)
        case closed
        case reset
        case timedOut
        case malformed(String)
    }

    /// How the server ended the connection, as seen by a reader.
    enum Ending: Equatable {
        case eof
        case reset
        case timedOut
    }

    let fd: Int32
    private var received: [UInt8] = []
    private var isClosed = false

    /// Connects to 127.0.0.1:`port`. A small `receiveBufferBytes` makes the kernel push back on the server early.
    init(port: Int, receiveTimeout: Duration = .seconds(10), receiveBufferBytes: Int32? = nil) throws(Failure) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            isClosed = true
            throw .connect(errno: errno)
        }
        var timeout = timeval(
            tv_sec: Int(receiveTimeout.components.seconds),
            tv_usec: Int(receiveTimeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if var size = receiveBufferBytes {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let address = SocketAddress(numericHost: "127.0.0.1", port: port)!
        let result = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, length) }
        if result != 0 {
            let code = errno
            // deinit runs for an initializer that throws once every property is set: close exactly once, here,
            // or a second close could hit a descriptor the server has accepted in the meantime.
            close()
            throw .connect(errno: code)
        }
    }

    deinit {
        if !isClosed { Glibc.close(fd) }
    }

    // MARK: Writing

    func send(_ text: String) throws(Failure) {
        try send(bytes: Array(text.utf8))
    }

    func send(bytes: [UInt8]) throws(Failure) {
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

    /// Ends our direction only (a TCP FIN); the server may still answer.
    func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Closes with SO_LINGER zero, so the server sees a reset rather than a FIN.
    func closeWithReset() {
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    // MARK: Reading

    /// Reads one complete response. `bodyless` is for answers to HEAD, whose Content-Length describes a body that
    /// is not sent. A 1xx response has no body either.
    func readResponse(bodyless: Bool = false) throws(Failure) -> ReceivedResponse {
        let headEnd = try fill { Self.headEnd(in: $0) }
        var response = try ReceivedResponse.parseHead(received[0..<headEnd])
        var length = 0
        if !bodyless && response.status >= 200 {
            guard let declared = response.header("Content-Length").flatMap({ Int($0) }) else {
                throw .malformed("response without Content-Length: \(response)")
            }
            length = declared
        }
        let total = headEnd + 4 + length
        _ = try fill { $0.count >= total ? total : nil }
        response.body = Array(received[(headEnd + 4)..<total])
        received.removeSubrange(0..<total)
        return response
    }

    func readResponses(_ count: Int, bodyless: Bool = false) throws(Failure) -> [ReceivedResponse] {
        var responses: [ReceivedResponse] = []
        for _ in 0..<count { responses.append(try readResponse(bodyless: bodyless)) }
        return responses
    }

    /// Reads until the server ends the connection; returns how it ended and every byte not yet parsed.
    func readToEnd() -> (ending: Ending, leftover: [UInt8]) {
        while true {
            switch receiveOnce() {
            case .success: continue
            case .failure(.closed): return (.eof, takeReceived())
            case .failure(.reset): return (.reset, takeReceived())
            case .failure: return (.timedOut, takeReceived())
            }
        }
    }

    /// True when a response, or at least its first byte, is already waiting to be read (never blocks).
    var hasPendingInput: Bool {
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return !received.isEmpty || poll(&probe, 1, 0) > 0
    }

    private func takeReceived() -> [UInt8] {
        defer { received = [] }
        return received
    }

    /// Receives until `complete` finds what it needs in the bytes so far.
    private func fill(until complete: ([UInt8]) -> Int?) throws(Failure) -> Int {
        while true {
            if let found = complete(received) { return found }
            if case .failure(let failure) = receiveOnce() { throw failure }
        }
    }

    private func receiveOnce() -> Result<Void, Failure> {
        withUnsafeTemporaryAllocation(byteCount: 64 * 1024, alignment: 1) { buffer in
            while true {
                let count = recv(fd, buffer.baseAddress, buffer.count, 0)
                if count > 0 {
                    received.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    return .success(())
                }
                if count == 0 { return .failure(.closed) }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .failure(.timedOut)
                case ECONNRESET: return .failure(.reset)
                default: return .failure(.malformed("recv errno \(errno)"))
                }
            }
        }
    }

    /// The offset of the CRLFCRLF ending the first head in `bytes`.
    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
