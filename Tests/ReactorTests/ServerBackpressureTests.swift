import Glibc
import TestSupport
import Testing

@testable import Reactor

/// Output back-pressure: a client that stops reading makes the server stop reading from it, and nothing is lost
/// when it comes back.
@Suite struct ServerBackpressureTests {
    static let bodyBytes = 256 * 1024

    /// Pseudo-random bytes (a linear congruential sequence), so no shifted copy of a body matches the original.
    static let noise: [UInt8] = [UInt8](unsafeUninitializedCapacity: bodyBytes) { buffer, count in
        var state: UInt32 = 12345
        for index in 0..<bodyBytes {
            state = state &* 1_103_515_245 &+ 12345
            buffer[index] = UInt8(truncatingIfNeeded: state >> 16)
        }
        count = bodyBytes
    }

    /// A 256 KiB body that is the noise rotated by an amount depending on the id, so a response that is cut,
    /// shifted or swapped with another shows up as a mismatch.
    static func body(id: Int) -> [UInt8] {
        let split = (id &* 4099) % bodyBytes
        return Array(noise[split...]) + noise[..<split]
    }

    /// Many pipelined requests for 256 KiB each from a client that does not read for a while: the server stops
    /// taking requests while its output is backed up, then delivers every response intact and in order once the
    /// client reads.
    @Test func slowReaderGetsEveryLargeResponseInOrder() throws {
        let requests = 32
        let handler = ScriptedHandler { request, responder in
            let id = Int(request.head.headers["X-Request-Id"] ?? "") ?? 0
            responder.respond(
                HTTPResponse(
                    status: 200, headers: [(name: "X-Request-Id", value: "\(id)")],
                    body: Self.body(id: id)))
        }
        let configuration = HTTPServerConfiguration(maxBufferedOutputBytes: 512 * 1024)
        let server = try TestServer(configuration, handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port, receiveBufferBytes: 64 * 1024)
        try client.send((0..<requests).map { (id: Int) in RequestText.get("/big", id: id) }.joined())

        // Not reading: the kernel buffers fill, then the server's own output cap; it must stop parsing requests.
        usleep(300_000)
        let handledWhileStalled = handler.requestsHandled.load(ordering: .relaxed)
        #expect(handledWhileStalled < requests, "the server kept parsing requests for a client that did not read")

        for id in 0..<requests {
            let response = try client.readResponse()
            #expect(response.header("X-Request-Id") == "\(id)")
            #expect(response.body.count == Self.bodyBytes)
            #expect(response.body == Self.body(id: id), "body of response \(id) differs")
        }
        #expect(handler.requestsHandled.load(ordering: .relaxed) == requests)
        try client.send(RequestText.get("/after", id: 1000))
        #expect(try client.readResponse().header("X-Request-Id") == "1000")
    }

    /// The same with answers from another thread, which complete while the output is still backed up.
    @Test func slowReaderWithAsynchronousAnswers() throws {
        let requests = 24
        let handler = ScriptedHandler { request, responder in
            let id = Int(request.head.headers["X-Request-Id"] ?? "") ?? 0
            let response = HTTPResponse(
                status: 200, headers: [(name: "X-Request-Id", value: "\(id)")],
                body: Self.body(id: id))
            LateAnswers.shared.respond(responder, with: response, after: .milliseconds(id % 3))
        }
        let server = try TestServer(.init(maxBufferedOutputBytes: 512 * 1024), handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port, receiveBufferBytes: 64 * 1024)
        try client.send((0..<requests).map { (id: Int) in RequestText.get("/big", id: id) }.joined())
        usleep(200_000)
        for id in 0..<requests {
            let response = try client.readResponse()
            #expect(response.header("X-Request-Id") == "\(id)")
            #expect(response.body == Self.body(id: id), "body of response \(id) differs")
        }
    }
}
