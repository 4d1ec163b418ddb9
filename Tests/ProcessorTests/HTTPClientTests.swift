import Glibc
import Reactor
import Synchronization
import TestSupport
import Testing

@testable import Processor

/// The processor's HTTP client on a real event loop against scripted servers: responses in pieces, a keep-alive
/// connection the server closes, garbage, silence, refusal.
@Suite struct HTTPClientTests {
    /// Sends one request from the loop thread and waits for its completion.
    private func exchange(
        port: Int, requests: Int = 1, responseTimeout: Duration = .seconds(5)
    ) throws -> [Result<HTTPClientResponse, HTTPClientError>] {
        let (loop, thread) = try EventLoop.startThread(name: "http-client-test")
        defer {
            loop.stop()
            thread.join()
        }
        let results = Mutex<[Result<HTTPClientResponse, HTTPClientError>]>([])
        let client = ClientBox(HTTPClient(loop: loop, host: "127.0.0.1", port: port, responseTimeout: responseTimeout))
        let body = Array("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".utf8)
        for _ in 0..<requests {
            let before = results.withLock { $0.count }
            loop.execute {
                client.client.send(body) { result in results.withLock { $0.append(result) } }
            }
            _ = waitUntil(timeout: .seconds(10)) { results.withLock { $0.count } > before }
        }
        loop.execute { client.client.close() }
        return results.withLock { $0 }
    }

    @Test func responseInPieces() throws {
        let server = try FakeHTTPServer([
            { socket, server in
                try server.readRequest(socket)
                for piece in ["HTTP/1.1 400 Bad", " Request\r\nContent-Le", "ngth: 5\r\n\r\nab", "c", "de"] {
                    try socket.send(piece)
                    usleep(30_000)
                }
            }
        ])
        let results = try exchange(port: server.port)
        #expect(results.count == 1)
        #expect(try results[0].get() == HTTPClientResponse(status: 400, body: Array("abcde".utf8)))
        #expect(server.requests.first?.body == Array("hello".utf8))
    }

    /// Two requests on one kept-alive connection.
    @Test func keepAliveReusesTheConnection() throws {
        let server = try FakeHTTPServer([FakeHTTPServer.answering(FakeHTTPServer.noContent)])
        let results = try exchange(port: server.port, requests: 3)
        #expect(results.map { (try? $0.get())?.status } == [204, 204, 204])
        #expect(server.connections == 1)
    }

    /// The server closes the kept-alive connection after answering: the next request goes out on a new one,
    /// and the caller never sees the close.
    @Test func serverClosingAKeptAliveConnection() throws {
        let server = try FakeHTTPServer([
            { socket, server in
                try server.readRequest(socket)
                try socket.send(FakeHTTPServer.noContent)
                usleep(50_000)
                socket.close()
            }
        ])
        let results = try exchange(port: server.port, requests: 3)
        #expect(results.map { (try? $0.get())?.status } == [204, 204, 204])
        #expect(server.connections == 3)
    }

    /// The server reads the request and closes without a word, on a connection that had been kept alive: one
    /// resend on a fresh connection, which answers.
    @Test func closeWithoutAnswerOnReusedConnectionIsResentOnce() throws {
        let server = try FakeHTTPServer([
            { socket, server in
                try server.readRequest(socket)
                try socket.send(FakeHTTPServer.noContent)
                try server.readRequest(socket)
                socket.close()
            },
            FakeHTTPServer.answering(FakeHTTPServer.noContent),
        ])
        let results = try exchange(port: server.port, requests: 2)
        #expect(results.map { (try? $0.get())?.status } == [204, 204])
        #expect(server.requests.count == 3)
    }

    @Test func garbageIsAnInvalidResponse() throws {
        let server = try FakeHTTPServer([
            { socket, server in
                try server.readRequest(socket)
                try socket.send("+OK this is Redis, not HTTP\r\n\r\n")
                usleep(200_000)
            }
        ])
        let results = try exchange(port: server.port)
        guard case .failure(.invalidResponse) = results.first else {
            Issue.record("expected invalidResponse, got \(results)")
            return
        }
    }

    @Test func slowAnswerTimesOut() throws {
        let server = try FakeHTTPServer([
            { socket, server in
                try server.readRequest(socket)
                try socket.send("HTTP/1.1 204 No")
                usleep(1_500_000)
            }
        ])
        let started = ContinuousClock.now
        let results = try exchange(port: server.port, responseTimeout: .milliseconds(300))
        guard case .failure(.timeout) = results.first else {
            Issue.record("expected timeout, got \(results)")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(1.4))
    }

    @Test func closedInTheMiddleOfTheBody() throws {
        let server = try FakeHTTPServer([
            { socket, server in
                try server.readRequest(socket)
                try socket.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
            }
        ])
        let results = try exchange(port: server.port)
        guard case .failure = results.first else {
            Issue.record("a truncated body was accepted: \(results)")
            return
        }
    }

    @Test func refusedConnection() throws {
        let port = try TestEnvironment.freePort()
        let results = try exchange(port: port)
        guard case .failure(.connectFailed) = results.first else {
            Issue.record("expected connectFailed, got \(results)")
            return
        }
    }
}

private final class ClientBox: @unchecked Sendable {
    let client: HTTPClient
    init(_ client: HTTPClient) { self.client = client }
}
