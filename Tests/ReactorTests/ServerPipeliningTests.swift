import TestSupport
import Testing

@testable import Reactor

/// Pipelined requests: answered strictly in request order however their handlers finish, with and without the cap
/// on requests waiting for answers.
@Suite struct ServerPipeliningTests {
    /// A fixed shuffle, so that handlers finish out of order the same way on every run.
    static let finishOrderDelaysMs = [9, 2, 7, 0, 5, 8, 1, 6, 3, 4]

    static func pipelinedBatch(count: Int) -> String {
        (0..<count).map { (id: Int) in RequestText.get("/p/\(id)", id: id) }.joined()
    }

    /// Ten requests in one send, answered from other threads in reverse order: the responses arrive in request order.
    @Test(arguments: [32, 2])
    func reverseCompletionKeepsRequestOrder(maxPipelinedRequests: Int) throws {
        let handler = ScriptedHandler.answeringLater { request in
            let id = Int(request.head.headers["X-Request-Id"] ?? "0") ?? 0
            return .milliseconds(2 * max(0, 10 - id))
        }
        let server = try TestServer(.init(maxPipelinedRequests: maxPipelinedRequests), handler: handler)
        defer { server.stop() }
        try expectTenInOrder(port: server.port)
    }

    /// Ten requests in one send, answered after shuffled delays: the responses arrive in request order, also when
    /// the server may only hold two at a time and must stop reading and resume.
    @Test(arguments: [32, 2])
    func shuffledCompletionKeepsRequestOrder(maxPipelinedRequests: Int) throws {
        let handler = ScriptedHandler.answeringLater { request in
            let id = Int(request.head.headers["X-Request-Id"] ?? "0") ?? 0
            return .milliseconds(Self.finishOrderDelaysMs[id % 10] * 3)
        }
        let server = try TestServer(.init(maxPipelinedRequests: maxPipelinedRequests), handler: handler)
        defer { server.stop() }
        try expectTenInOrder(port: server.port)
    }

    /// With a cap of two, the handler never holds more than two of one connection's requests at once.
    @Test func capLimitsRequestsWithTheHandler() throws {
        let held = HeldResponders()
        let handler = ScriptedHandler { _, responder in held.keep(responder) }
        let server = try TestServer(.init(maxPipelinedRequests: 2), handler: handler)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        try client.send(Self.pipelinedBatch(count: 10))
        for answered in 0..<10 {
            #expect(try server.waitUntil { _ in held.count >= min(answered + 2, 10) })
            #expect(held.count == min(answered + 2, 10))
            held.responder(answered).respond(HTTPResponse(status: 200, body: Array("\(answered)".utf8)))
            #expect(try client.readResponse().bodyText == "\(answered)")
        }
    }

    private func expectTenInOrder(port: Int) throws {
        let client = try RawHTTPClient(port: port)
        try client.send(Self.pipelinedBatch(count: 10))
        let responses = try client.readResponses(10)
        #expect(responses.map { $0.header("X-Request-Id") } == (0..<10).map { (id: Int) in "\(id)" })
        #expect(responses.map(\.bodyText) == (0..<10).map { (id: Int) in "GET /p/\(id)" })
        // The connection is still usable afterwards.
        try client.send(RequestText.get("/after", id: 99))
        #expect(try client.readResponse().header("X-Request-Id") == "99")
    }
}
