import TestSupport
import Testing

@testable import Reactor

/// `maxConnections`: connections beyond the cap get a 503 and are closed; the ones within it are unaffected.
@Suite struct ServerCapacityTests {
    static let cap = 3

    /// With a cap of N, connection N+1 is answered 503 (with the handler's body and `Retry-After`) and closed; the
    /// first N keep working, and a freed slot admits a newcomer.
    @Test func connectionBeyondCapIsRefused() throws {
        let server = try TestServer(.init(maxConnections: Self.cap), handler: ScriptedHandler.echoing())
        defer { server.stop() }
        var admitted = try Self.fillToCap(server)

        let refused = try RawHTTPClient(port: server.port)
        try Self.expectRefusal(refused)

        for (id, client) in admitted.enumerated() {
            try client.send(RequestText.get("/again", id: id))
            #expect(try client.readResponse().header("X-Request-Id") == "\(id)")
        }
        let stats = try server.stats
        #expect(stats.refusedOverCapacity == 1)
        #expect(stats.open == Self.cap)

        admitted.removeLast().close()
        #expect(try server.waitUntil { $0.openConnections == Self.cap - 1 })
        let newcomer = try RawHTTPClient(port: server.port)
        try newcomer.send(RequestText.get("/late", id: 7))
        #expect(try newcomer.readResponse().header("X-Request-Id") == "7")
    }

    /// Under load the refused client's request is often waiting by the time the server accepts: it is read out
    /// before the close, so the client gets the 503 and an orderly EOF rather than a reset.
    @Test func refusalAfterTheRequestArrivedClosesCleanly() throws {
        let server = try TestServer(.init(maxConnections: Self.cap), handler: ScriptedHandler.echoing())
        defer { server.stop() }
        let admitted = try Self.fillToCap(server)
        var refused: RawHTTPClient?
        try server.whileLoopIsBlocked {
            let client = try RawHTTPClient(port: server.port)
            try client.send(RequestText.make("POST", "/telemetry", body: String(repeating: "x", count: 512)))
            refused = client
        }
        try Self.expectRefusal(try #require(refused))
        #expect(admitted.count == Self.cap)
    }

    /// Opens `cap` connections and has each answered once, so the server has certainly registered them all.
    private static func fillToCap(_ server: TestServer) throws -> [RawHTTPClient] {
        try (0..<cap).map { (id: Int) in
            let client = try RawHTTPClient(port: server.port)
            try client.send(RequestText.get("/in", id: id))
            #expect(try client.readResponse().status == 200)
            return client
        }
    }

    private static func expectRefusal(
        _ client: RawHTTPClient, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let response = try client.readResponse()
        #expect(response.status == 503, sourceLocation: sourceLocation)
        #expect(response.headers(named: "Retry-After") == ["1"], sourceLocation: sourceLocation)
        #expect(response.closesConnection, sourceLocation: sourceLocation)
        #expect(response.bodyText == "refused: too many connections", sourceLocation: sourceLocation)
        #expect(client.readToEnd() == (.eof, []), sourceLocation: sourceLocation)
    }
}
