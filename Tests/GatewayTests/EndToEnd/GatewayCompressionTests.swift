import Foundation
import TestSupport
import Testing

/// `Content-Encoding: gzip` and `deflate` bodies against the real executable and Redis: stored exactly like the plain
/// body, refused precisely when broken, oversized or in another coding, and nothing stored from a refusal.
@Suite struct GatewayCompressionTests {
    private static let batch =
        "["
        + (0..<50).map {
            #"{"device_id":"dev-\#($0)","value":\#($0).5,"unit":"celsius","priority":"\#($0 % 2 == 0 ? "high" : "low")","#
                + #""metadata":{"zone":"z\#($0)","on":true}}"#
        }.joined(separator: ",") + "]"

    /// gzip and deflate of a JSON batch and of a single event store the same entries as the plain body.
    @Test func compressedJSONStoresLikePlain() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        let single = Payload.event("solo", priority: "HIGH")
        for body in [Self.batch, single] {
            let plain = try client.post("/telemetry", contentType: "application/json", body: Array(body.utf8))
            #expect(plain.status == 200, "\(plain.bodyText)")
            let expected = try fixture.storedEvents()
            for (encoding, compressed) in [
                ("gzip", Deflater.gzip(body)), ("deflate", Deflater.zlib(body)),
                ("GZip", Deflater.gzip(body)), ("identity", Array(body.utf8)),
            ] {
                try fixture.deleteStream()
                let response = try client.post(
                    "/telemetry", contentType: "application/json", encoding: encoding, body: compressed)
                #expect(response.status == 200, "\(encoding): \(response.bodyText)")
                #expect(response.bodyText == plain.bodyText || body == single, "\(encoding)")
                #expect(try fixture.storedEvents() == expected, "\(encoding)")
            }
            try fixture.deleteStream()
        }
    }

    /// A gzip body that inflates past --max-decoded-body is 413 and the gateway's memory barely moves: 100 MB of
    /// zeros (about 100 KB on the wire) is inflated only up to the limit.
    @Test func bombIsRefusedCheaply() throws {
        let fixture = try GatewayFixture(gatewayArguments: ["--workers", "2"])
        let client = try fixture.client()
        let bomb = Deflater.compress([UInt8](repeating: 0x20, count: 100 << 20), .gzip, level: 9)
        let before = try fixture.residentBytes()
        for _ in 0..<3 {
            let response = try client.post("/telemetry", contentType: "application/json", encoding: "gzip", body: bomb)
            #expect(response.status == 413)
            #expect((response.json["error"] as? String ?? "").contains("--max-decoded-body"), "\(response.bodyText)")
        }
        let growth = try fixture.residentBytes() - before
        // Two consumers may each hold one limit-sized buffer while inflating; nothing near the 100 MB.
        #expect(growth < 16 << 20, "RSS grew by \(growth) bytes")
        #expect(try fixture.storedCount() == 0)

        let small = try GatewayFixture(gatewayArguments: ["--max-decoded-body", "1000"])
        let exact = #"{"device_id":"d","value":1,"unit":""# + String(repeating: "x", count: 1000 - 37) + #""}"#
        #expect(exact.utf8.count == 1000)
        #expect(
            try small.client().post(
                "/telemetry", contentType: "application/json", encoding: "gzip",
                body: Deflater.gzip(exact)
            ).status == 200)
        #expect(
            try small.client().post(
                "/telemetry", contentType: "application/json", encoding: "gzip",
                body: Deflater.gzip(exact + " ")
            ).status == 413)
    }

    /// Corrupt, truncated and trailing-garbage streams are 400 with the reason; nothing is stored.
    @Test func brokenStreamsAre400() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        let gzip = Deflater.gzip(Self.batch)
        var badCRC = gzip
        badCRC[gzip.count - 6] ^= 0x55
        let cases: [(String, [UInt8], String)] = [
            ("gzip", Array(gzip.prefix(gzip.count / 2)), "body: truncated gzip stream"),
            ("gzip", badCRC, "body: invalid gzip stream (incorrect data check)"),
            ("gzip", gzip + Array("junk".utf8), "body: 4 bytes of trailing data after the gzip stream"),
            ("gzip", Array(Self.batch.utf8), "body: invalid gzip stream (incorrect header check)"),
            ("deflate", gzip, "body: invalid zlib stream (incorrect header check)"),
            ("gzip", Deflater.gzip(#"{"device_id":"d"}"#), "value: required"),
        ]
        for (encoding, body, message) in cases {
            let response = try client.post(
                "/telemetry", contentType: "application/json", encoding: encoding, body: body)
            #expect(response.status == 400)
            #expect(response.json["error"] as? String == message)
        }
        #expect(try fixture.storedCount() == 0)
    }

    /// Any other coding is 415 with `Accept-Encoding: gzip, deflate`, answered from the head: with
    /// `Expect: 100-continue` the body is never sent.
    @Test func otherCodingsAre415BeforeTheBody() throws {
        let fixture = try GatewayFixture()
        for coding in ["br", "zstd", "gzip, gzip", "compress"] {
            // The unread body cannot be skipped, so the gateway closes after answering: one connection each.
            let client = try fixture.client()
            try client.send(
                "POST /telemetry HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    + "Content-Encoding: \(coding)\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 415, "\(coding)")
            #expect(response.header("accept-encoding") == "gzip, deflate")
            #expect(response.json["error"] as? String == "Content-Encoding must be gzip, deflate or identity")
        }
        let fresh = try fixture.client()
        let withBody = try fresh.post(
            "/telemetry", contentType: "application/json", encoding: "br", body: Array(Payload.event().utf8))
        #expect(withBody.status == 415)
        #expect(withBody.header("accept-encoding") == "gzip, deflate")
        #expect(try fixture.storedCount() == 0)
    }

    /// A gzip body may also arrive chunked; the coding applies to the reassembled body. Two Content-Encoding lines
    /// are a stacked coding, refused like a list.
    @Test func chunkedGzipAndRepeatedCodingLines() throws {
        let fixture = try GatewayFixture()
        let gzip = Deflater.gzip(Self.batch)
        let half = gzip.count / 2
        let client = try fixture.client()
        var request = Array(
            ("POST /telemetry HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n").utf8)
        for chunk in [Array(gzip[0..<half]), Array(gzip[half...])] {
            request += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
        }
        try client.send(request + Array("0\r\n\r\n".utf8))
        let response = try client.readResponse()
        #expect(response.status == 200, "\(response.bodyText)")
        #expect(response.json["accepted"] as? Int == 50)

        let twice = try fixture.client().post(
            "/telemetry", contentType: "application/json", encoding: "gzip", headers: ["Content-Encoding: gzip"],
            body: Deflater.compress(gzip, .gzip))
        #expect(twice.status == 415)
        #expect(twice.header("accept-encoding") == "gzip, deflate")
        #expect(try fixture.storedCount() == 50)
    }
}
