import Glibc
import TestSupport
import Testing

@testable import Reactor

/// A connection the server will not serve (over the connection cap, or accepted with the listener's spare
/// descriptor when descriptors ran out) is answered 503 with exactly one `Retry-After` and the handler's body, then
/// closed. Driven over a socketpair, so the descriptor case needs no exhausted process.
@Suite struct ServerRefusalTests {
    /// Each refusal of a connection carries the handler's body for that error and one `Retry-After: 1`.
    @Test(arguments: [HTTPServerError.connectionLimitReached, .outOfDescriptors])
    func refusalCarriesOneRetryAfter(_ error: HTTPServerError) throws {
        let response = try Self.refusal(error, handler: ScriptedHandler.echoing())
        #expect(response.status == 503)
        #expect(response.headers(named: "Retry-After") == ["1"])
        #expect(response.closesConnection)
        #expect(response.bodyText == "refused: \(error.reason)")
    }

    /// A handler that sets its own `Retry-After` cannot make it two: the error's one replaces it.
    @Test func handlerRetryAfterIsReplacedNotRepeated() throws {
        final class Insistent: HTTPHandler {
            func handle(_ request: HTTPRequest, responder: HTTPResponder) {}
            func errorResponse(for error: HTTPServerError) -> HTTPResponse {
                HTTPResponse(status: 200, headers: [(name: "retry-after", value: "30")], body: Array("busy".utf8))
            }
        }
        let response = try Self.refusal(.outOfDescriptors, handler: Insistent())
        #expect(response.status == 503)
        #expect(response.headers(named: "Retry-After") == ["1"])
        #expect(response.bodyText == "busy")
    }

    /// Errors about the request itself carry no `Retry-After`: retrying the same bytes cannot help.
    @Test func requestErrorsCarryNoRetryAfter() {
        #expect(HTTPServerError.malformedRequest(.bareLineFeed).retryAfterSeconds == nil)
        #expect(HTTPServerError.requestTimeout(.head).retryAfterSeconds == nil)
        #expect(HTTPServerError.requestTimeout(.body).status == 408)
        #expect(HTTPServerError.malformedRequest(.bodyTooLarge).status == 413)
    }

    /// Has the server refuse one end of a socketpair with `error` and reads what the other end received.
    private static func refusal(_ error: HTTPServerError, handler: any HTTPHandler) throws -> ReceivedResponse {
        let server = try TestServer(handler: handler)
        defer { server.stop() }
        let (serverEnd, clientEnd) = try Posix.socketpair()
        _ = fcntl(clientEnd, F_SETFL, fcntl(clientEnd, F_GETFL) & ~O_NONBLOCK)
        let client = RawHTTPClient(fd: clientEnd, timeout: .seconds(5))
        try server.onLoop { $0.refuse(serverEnd, error) }
        let response = try client.readResponse()
        #expect(client.readToEnd() == (.eof, []))
        return response
    }
}
