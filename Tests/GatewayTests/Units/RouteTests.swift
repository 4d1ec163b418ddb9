import Reactor
import Testing

@testable import Gateway

/// `Route.resolve`: path and method to a route, or the 404/405 that answers the request.
@Suite struct RouteTests {
    private static func head(_ method: String, _ target: String) throws -> HTTPRequestHead {
        var parser = HTTPRequestParser()
        let bytes = Array("\(method) \(target) HTTP/1.1\r\nHost: test\r\n\r\n".utf8)
        guard case .head(let head, _) = bytes.withUnsafeBytes({ parser.parse($0) }) else {
            throw ConfigError(description: "not a head: \(method) \(target)")
        }
        return head
    }

    private static func resolve(_ method: String, _ target: String) throws -> Result<Route, RoutingFailure> {
        Route.resolve(try head(method, target))
    }

    /// Every endpoint resolves on its method; read-only ones accept HEAD too; the query string is not the path.
    @Test func endpointsResolve() throws {
        let cases: [(String, String, Route)] = [
            ("POST", "/telemetry", .telemetry), ("GET", "/health", .health), ("HEAD", "/health", .health),
            ("GET", "/ready", .ready), ("GET", "/status", .status), ("GET", "/metrics?format=json", .metrics),
            ("POST", "/start", .start), ("POST", "/stop", .stop), ("GET", "/", .console),
            ("GET", "/console/app.js", .console), ("HEAD", "/console", .console),
        ]
        for (method, target, expected) in cases {
            #expect(try Self.resolve(method, target).get() == expected, "\(method) \(target)")
        }
    }

    /// An unknown path is 404 under the `unmatched` label; paths match exactly, case included.
    @Test func unknownPathsAre404() throws {
        for target in ["/nope", "/telemetry/", "/Health", "/healthz", "/console/missing.js"] {
            guard case .failure(let failure) = try Self.resolve("GET", target) else {
                Issue.record("\(target) resolved")
                continue
            }
            #expect(failure.label == .unmatched)
            #expect(failure.response.status == 404)
        }
    }

    /// A known path with the wrong method is 405 under the route's label, with `Allow` listing what works.
    @Test func wrongMethodIs405WithAllow() throws {
        let cases: [(String, String, RouteLabel, String)] = [
            ("GET", "/telemetry", .telemetry, "POST"), ("POST", "/health", .health, "GET, HEAD"),
            ("DELETE", "/stop", .stop, "POST"), ("PUT", "/console", .console, "GET, HEAD"),
        ]
        for (method, target, label, allow) in cases {
            guard case .failure(let failure) = try Self.resolve(method, target) else {
                Issue.record("\(method) \(target) resolved")
                continue
            }
            #expect(failure.label == label)
            #expect(failure.response.status == 405)
            #expect(failure.response.headers.map(\.name) == ["Allow"])
            #expect(failure.response.headers.first?.value == allow)
        }
    }
}
