import Foundation
import TestSupport
import Testing

/// The operator console's routes on the real executable: every asset byte-identical to its file in the repo, with
/// its content type, the security and caching headers, 304 on `If-None-Match`, HEAD, and 405 for other methods.
@Suite struct ConsoleRouteTests {
    /// (path, file under Sources/Gateway/Console/Assets, Content-Type)
    static let assets: [(path: String, file: String, type: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/console", "index.html", "text/html; charset=utf-8"),
        ("/console/app.css", "app.css", "text/css; charset=utf-8"),
        ("/console/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/console/chart.js", "chart.js", "text/javascript; charset=utf-8"),
        ("/console/controls.js", "controls.js", "text/javascript; charset=utf-8"),
        ("/console/format.js", "format.js", "text/javascript; charset=utf-8"),
        ("/console/table.js", "table.js", "text/javascript; charset=utf-8"),
        ("/console/icon.svg", "icon.svg", "image/svg+xml"),
    ]

    static let assetDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/Gateway/Console/Assets")

    static func file(_ name: String) throws -> [UInt8] {
        try Array(Data(contentsOf: assetDirectory.appendingPathComponent(name)))
    }

    /// Every asset: 200, its bytes exactly, its type, the headers; HEAD the same without the body.
    @Test func assetsAreServedAsTheyAreInTheRepo() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        for asset in Self.assets {
            let expected = try Self.file(asset.file)
            let response = try client.request("GET", asset.path)
            #expect(response.status == 200, "\(asset.path)")
            let identical = response.body == expected  // compared outside #expect, which would print both arrays
            #expect(
                identical,
                "\(asset.path): \(response.body.count) bytes served differ from the \(expected.count) of \(asset.file); rebuild"
            )
            #expect(response.header("content-type") == asset.type, "\(asset.path)")
            Self.expectConsoleHeaders(response, asset.path)

            let head = try client.request("HEAD", asset.path)
            #expect(head.status == 200 && head.body.isEmpty, "\(asset.path)")
            #expect(head.header("content-length") == String(expected.count), "\(asset.path)")
            #expect(head.header("etag") == response.header("etag"), "\(asset.path)")
            #expect(head.header("content-security-policy") == response.header("content-security-policy"))
        }
        let metrics = try client.request("GET", "/metrics").bodyText
        #expect(
            metrics.contains("gateway_http_requests_total{route=\"console\",code=\"200\"} \(2 * Self.assets.count)"),
            "GET and HEAD, counted")
    }

    static func expectConsoleHeaders(_ response: ReceivedResponse, _ path: String) {
        let csp = response.header("content-security-policy") ?? ""
        #expect(csp.contains("default-src 'self'"), "\(path): \(csp)")
        #expect(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"), "\(path): \(csp)")
        #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "\(path): \(csp)")
        #expect(csp.contains("frame-ancestors 'none'"), "\(path): \(csp)")
        #expect(response.header("x-content-type-options") == "nosniff", "\(path)")
        #expect(response.header("referrer-policy") == "no-referrer", "\(path)")
        #expect(response.header("cache-control") == "no-cache", "\(path)")
        let etag = response.header("etag") ?? ""
        #expect(etag.count == 18 && etag.hasPrefix("\"") && etag.hasSuffix("\""), "\(path): ETag \(etag)")
    }

    /// A matching If-None-Match (exact, weak, in a list, or `*`) gets 304 with no body; any other gets the file.
    @Test func conditionalRequests() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        let first = try client.request("GET", "/console/app.js")
        let etag = try #require(first.header("etag"))
        for condition in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
            let response = try client.request("GET", "/console/app.js", headers: ["If-None-Match: \(condition)"])
            #expect(response.status == 304, "If-None-Match: \(condition)")
            #expect(response.body.isEmpty && response.header("content-length") == nil)
            #expect(response.header("etag") == etag)
            Self.expectConsoleHeaders(response, "304 /console/app.js")
        }
        let stale = try client.request("GET", "/console/app.js", headers: ["If-None-Match: \"0000000000000000\""])
        let sameBody = stale.body == first.body
        #expect(stale.status == 200 && sameBody)
        // The page and each asset have their own validator.
        let page = try client.request("GET", "/", headers: ["If-None-Match: \(etag)"])
        #expect(page.status == 200 && page.header("etag") != etag)
        // The connection is still in step after the bodiless 304s.
        #expect(try client.request("GET", "/health").status == 200)
    }

    /// Other methods get 405 with Allow; paths under /console that are no asset get 404.
    @Test func methodsAndUnknownPaths() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        for (method, path) in [
            ("POST", "/"), ("PUT", "/console"), ("DELETE", "/console/app.css"), ("POST", "/console/app.js"),
        ] {
            let response = try client.request(method, path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.header("allow") == "GET, HEAD", "\(method) \(path)")
        }
        for path in ["/console/missing.js", "/index.html", "/console/Assets/app.js"] {
            #expect(try client.request("GET", path).status == 404, "\(path)")
        }
    }

    /// The page works offline under its CSP: nothing inline, nothing from another origin.
    @Test func assetsNeedNothingInlineOrRemote() throws {
        let html = String(decoding: try Self.file("index.html"), as: UTF8.self)
        #expect(!html.contains("style="), "inline style attribute")
        #expect(!html.contains("<style"), "inline style element")
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "inline event handler")
        #expect(html.components(separatedBy: "<script").count == 2, "exactly one script element")
        #expect(html.contains("<script type=\"module\" src=\"/console/app.js\"></script>"))
        for name in Set(Self.assets.map(\.file)) {
            let text = String(decoding: try Self.file(name), as: UTF8.self)
            let remote = text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
            #expect(
                !remote.contains("http://") && !remote.contains("https://") && !remote.contains("//cdn"),
                "\(name) refers to another origin")
            #expect(!text.contains("innerHTML") && !text.contains("eval("), "\(name)")
        }
    }

    /// The JSON the page polls has what it charts: latency buckets (per-second percentiles) and the counters the
    /// table shows under their Prometheus names.
    @Test func metricsJSONHasWhatThePageCharts() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        #expect(try client.postJSON("/telemetry", Payload.event()).status == 200)
        let json = try client.request("GET", "/metrics", headers: ["Accept: application/json"]).json
        let buckets = json["latency_buckets"] as? [[Int]] ?? []
        #expect(buckets.reduce(0) { $0 + ($1.last ?? 0) } == 1, "\(buckets)")
        #expect(json["ingestion_running"] as? Bool == true)
        for key in ["connections_accepted", "max_fds", "connections_open", "queue_depth", "samples_processed"] {
            #expect(json[key] as? Int != nil, "missing \(key)")
        }
        #expect((json["connections_refused"] as? [String: Int])?.keys.sorted() == ["capacity", "descriptors"])
        #expect((json["http_timeouts"] as? [String: Int])?.keys.sorted() == ["body", "header", "idle", "send"])
        #expect((json["rejected"] as? [String: Int])?["redis_unavailable"] == 0)
    }
}
