import Testing

@testable import Reactor

/// `maxConnections`: connections beyond the cap get a 503 and are closed; the ones within it are unaffected.
@Suite struct ServerCapacityTests {
    /// With a cap of N, connection N+1 is answered 503 (with the handler's body and `Retry-After`) and closed, even
    /// when it has already sent its request; the first N keep working, and a freed slot admits a newcomer.
    @Test(arguments: [false, true])
    func connectionBeyondCapIsRefused(sendsRequestFirst: Bool) throws {
        let cap = 3
        let server = try TestServer(.init(maxConnections: cap), handler: ScriptedHandler.echoing())
        defer { server.stop() }
        var admitted: [RawHTTPClient] = []
        for id in 0..<cap {
            let client = try RawHTTPClient(port: server.port)
            try client.send(RequestText.get("/in", id: id))
            #expect(try client.readResponse().status == 200)
            admitted.append(client)
        }

        let refused = try RawHTTPClient(port: server.port)
        if sendsRequestFirst {
            try refused.send(RequestText.make("POST", "/telemetry", body: String(repeating: "x", count: 512)))
        }
        let response = try refused.readResponse()
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "1")
        #expect(response.closesConnection)
        #expect(response.bodyText == "refused: too many connections")
        #expect(refused.readToEnd().ending == .eof)

        for (id, client) in admitted.enumerated() {
            try client.send(RequestText.get("/again", id: id))
            #expect(try client.readResponse().header("X-Request-Id") == "\(id)")
        }
        let stats = try server.stats
        #expect(stats.refusedOverCapacity == 1)
        #expect(stats.open == cap)

        admitted.removeLast().close()
        #expect(try server.waitUntil { $0.openConnections == cap - 1 })
        let newcomer = try RawHTTPClient(port: server.port)
        try newcomer.send(RequestText.get("/late", id: 7))
        #expect(try newcomer.readResponse().header("X-Request-Id") == "7")
    }
}
