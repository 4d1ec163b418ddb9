import Foundation
import Glibc
import Synchronization
import TestSupport

/// A scripted HTTP server on a loopback port: each accepted connection runs the next script in the list (the
/// last one repeats), on its own thread, with a blocking socket. Scripts decide exactly which bytes go out and
/// when, to reproduce what real servers and proxies do wrong.
final class FakeHTTPServer: @unchecked Sendable {
    typealias Script = @Sendable (BlockingSocket, FakeHTTPServer) throws -> Void

    struct Request: Sendable {
        var head: String
        var body: [UInt8]
        var requestLine: String { String(head.split(separator: "\r\n").first ?? "") }
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    let port: Int
    private let listenFD: Int32
    private let scripts: [Script]
    private let state = Mutex<(connections: Int, requests: [Request], stopped: Bool)>((0, [], false))

    init(_ scripts: [Script]) throws {
        (listenFD, port) = try TestEnvironment.bindLoopback(listenBacklog: 64)
        self.scripts = scripts
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit {
        stop()
    }

    func stop() {
        let wasStopped = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return state.stopped
        }
        if !wasStopped { shutdown(listenFD, Int32(SHUT_RDWR)) }
    }

    var connections: Int { state.withLock { $0.connections } }
    var requests: [Request] { state.withLock { $0.requests } }

    /// Reads one request (head and Content-Length body) and records it.
    @discardableResult
    func readRequest(_ socket: BlockingSocket) throws -> Request {
        let head = String(decoding: try socket.read(upTo: [0x0D, 0x0A, 0x0D, 0x0A]), as: UTF8.self)
        var request = Request(head: head, body: [])
        if let length = request.header("Content-Length").flatMap({ Int($0) }), length > 0 {
            request.body = try socket.read(count: length)
        }
        state.withLock { $0.requests.append(request) }
        return request
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let index = state.withLock { state -> Int in
                state.connections += 1
                return state.connections - 1
            }
            let script = scripts[min(index, scripts.count - 1)]
            Thread.detachNewThread { [self] in
                let socket = BlockingSocket(fd: fd, timeout: .seconds(10))
                try? script(socket, self)
                socket.close()
            }
        }
    }
}

extension FakeHTTPServer {
    /// Answers every request on the connection with `response` until the client closes.
    static func answering(_ response: String) -> Script {
        { socket, server in
            while true {
                try server.readRequest(socket)
                try socket.send(response)
            }
        }
    }

    static let noContent = "HTTP/1.1 204 No Content\r\n\r\n"
}
