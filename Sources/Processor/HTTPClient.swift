import Dispatch
import Glibc
import Reactor

/// Why a request got no response.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case connectFailed(String)
    case connectionLost(String)
    case timeout(String)
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .connectFailed(let reason): "connect failed: \(reason)"
        case .connectionLost(let reason): "connection lost: \(reason)"
        case .timeout(let reason): "timed out \(reason)"
        case .invalidResponse(let reason): "invalid response: \(reason)"
        }
    }
}

/// A small non-blocking HTTP/1.1 client on the event loop: one keep-alive connection to one server, one request
/// at a time (the processor writes one batch at a time, so pipelining would buy nothing).
///
/// Requests are whole byte arrays (head and Content-Length body). The response is parsed by
/// `HTTPClientResponseParser`, bounded in size. A request on a kept-alive connection that the server had closed
/// meanwhile (the keep-alive race: the close crosses our write) is sent once more on a fresh connection when
/// nothing of a response had arrived; the writes the processor sends are idempotent, so that retry is safe.
/// Every callback runs on the loop thread.
public final class HTTPClient: EventHandler, @unchecked Sendable {
    public typealias Completion = (Result<HTTPClientResponse, HTTPClientError>) -> Void

    private enum State {
        case closed
        case resolving
        case connecting
        /// Connected, nothing in flight.
        case idle
        /// Request written (or being written), waiting for the response.
        case exchanging
    }

    public let loop: EventLoop
    public let host: String
    public let port: Int
    public var connectTimeout: Duration
    /// From the last request byte written to the last response byte read. InfluxDB answers a 5,000-point write
    /// in tens of milliseconds; 10 s means it is stuck (compaction storm, disk full), and the batch is retried.
    public var responseTimeout: Duration
    public var parser = HTTPClientResponseParser()

    private var state = State.closed
    private var fd: Int32 = -1
    private var registration: Registration?
    private var request: [UInt8] = []
    private var written = 0
    private var received: [UInt8] = []
    private var completion: Completion?
    private var timer: TimerID?
    private var reused = false
    private var retriedOnFreshConnection = false
    private let readBuffer: UnsafeMutableRawBufferPointer

    public init(
        loop: EventLoop, host: String, port: Int, connectTimeout: Duration = .seconds(2),
        responseTimeout: Duration = .seconds(10)
    ) {
        self.loop = loop
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    public var isBusy: Bool { completion != nil }

    /// Sends `request` and calls `completion` exactly once. Loop thread only; one request at a time.
    public func send(_ request: [UInt8], completion: @escaping Completion) {
        precondition(self.completion == nil, "one request at a time")
        self.request = request
        self.completion = completion
        retriedOnFreshConnection = false
        start()
    }

    /// Closes the connection; a request in flight fails.
    public func close() {
        finish(.failure(.connectionLost("closed by the client")))
    }

    private func start() {
        written = 0
        received.removeAll(keepingCapacity: true)
        if state == .idle {
            reused = true
            state = .exchanging
            armTimer(responseTimeout, "waiting for the response")
            write()
            return
        }
        reused = false
        state = .resolving
        armTimer(connectTimeout, "connecting to \(host):\(port)")
        if let address = SocketAddress(numericHost: host, port: port) {
            open(address)
            return
        }
        let host = self.host
        let port = self.port
        DispatchQueue.global().async { [self] in
            let result = Result { () throws(SystemError) -> SocketAddress in
                try SocketAddress.resolve(host: host, port: port)
            }
            loop.execute { [self] in
                guard state == .resolving else { return }
                switch result {
                case .success(let address): open(address)
                case .failure(let error): finish(.failure(.connectFailed("cannot resolve \(host): \(error)")))
                }
            }
        }
    }

    private func open(_ address: SocketAddress) {
        state = .connecting
        do {
            fd = try Posix.socket(domain: address.family, type: Int32(SOCK_STREAM.rawValue))
            try? Posix.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            switch try Posix.connect(fd, address) {
            case .processed:
                registration = try loop.register(fd: fd, interest: .readable, handler: self)
                connected()
            case .wouldBlock:
                registration = try loop.register(fd: fd, interest: .writable, handler: self)
            }
        } catch {
            finish(.failure(.connectFailed("\(address): \(error)")))
        }
    }

    private func connected() {
        state = .exchanging
        armTimer(responseTimeout, "waiting for the response")
        write()
    }

    public func handleEvents(_ events: EpollEvents) {
        switch state {
        case .connecting:
            let code = (try? Posix.socketError(fd)) ?? ECONNREFUSED
            if code != 0 {
                finish(.failure(.connectFailed("\(host):\(port): \(SystemError("connect", errno: code))")))
            } else {
                connected()
            }
        case .idle:
            // Readable while idle: the server closed the kept-alive connection (or sent garbage). Either way it
            // cannot carry the next request.
            teardown()
        case .exchanging:
            if events.contains(.writable) { write() }
            if state == .exchanging && !events.isDisjoint(with: [.readable, .hangup, .error]) { read() }
        case .closed, .resolving:
            break
        }
    }

    private func write() {
        while written < request.count {
            let result: IOResult<Int>
            do {
                result = try request.withUnsafeBytes {
                    try Posix.send(fd, UnsafeRawBufferPointer(rebasing: $0[written...]))
                }
            } catch {
                lost("\(error)")
                return
            }
            switch result {
            case .processed(let count): written += count
            case .wouldBlock:
                if let registration { try? loop.modify(registration, interest: [.readable, .writable]) }
                return
            }
        }
        if let registration { try? loop.modify(registration, interest: .readable) }
    }

    private func read() {
        while state == .exchanging {
            let result: IOResult<Int>
            do {
                result = try Posix.read(fd, into: readBuffer)
            } catch {
                lost("\(error)")
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0) where received.isEmpty:
                lost("server closed the connection without answering")
                return
            case .processed(let count):
                if count > 0 { received.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])) }
                switch parser.parse(received, peerClosed: count == 0) {
                case .incomplete:
                    if count == 0 { lost("server closed the connection") }
                case .invalid(let reason):
                    teardown()
                    finish(.failure(.invalidResponse(reason)))
                case .complete(let response, let consumed, let keepAlive):
                    if keepAlive && consumed == received.count && written == request.count {
                        cancelTimer()
                        state = .idle
                    } else {
                        teardown()
                    }
                    finish(.success(response))
                }
                if count == 0 { return }
            }
        }
    }

    /// The connection broke before a whole response arrived.
    private func lost(_ reason: String) {
        let mayRetry = reused && received.isEmpty && !retriedOnFreshConnection
        teardown()
        if mayRetry {
            retriedOnFreshConnection = true
            start()
        } else {
            finish(.failure(.connectionLost(reason)))
        }
    }

    private func armTimer(_ timeout: Duration, _ what: String) {
        cancelTimer()
        timer = loop.scheduleTimer(after: timeout) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.teardown()
            self.finish(.failure(.timeout(what)))
        }
    }

    private func cancelTimer() {
        if let timer { loop.cancelTimer(timer) }
        timer = nil
    }

    private func teardown() {
        cancelTimer()
        if let registration { loop.deregister(registration) }
        registration = nil
        if fd >= 0 { Posix.close(fd) }
        fd = -1
        state = .closed
    }

    private func finish(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        if case .failure = result, state != .closed { teardown() }
        guard let completion else { return }
        self.completion = nil
        request = []
        completion(result)
    }
}
