import Foundation
import TestSupport
import Testing

/// Protobuf bodies against the real executable and Redis: stored exactly as the same events sent as JSON, in
/// either media type name, plain or compressed; refused with the decoder's message, storing nothing.
@Suite struct GatewayProtobufTests {
    /// Every valid fixture is stored as the equivalent JSON batch is, and answered `accepted`.
    @Test func storedLikeTheSameEventsInJSON() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        for body in ProtobufFixture.valid {
            let json = "[" + body.events!.map(\.data).joined(separator: ",") + "]"
            let plain = try client.post("/telemetry", contentType: "application/json", body: Array(json.utf8))
            #expect(plain.status == 200, "\(body.name): \(plain.bodyText)")
            let expected = try fixture.storedEvents()
            #expect(expected.count == body.events!.count)
            for (contentType, encoding, bytes) in [
                ("application/x-protobuf", nil, body.body), ("application/protobuf", nil, body.body),
                ("application/x-protobuf", "gzip", Deflater.compress(body.body, .gzip)),
                ("application/protobuf", "deflate", Deflater.compress(body.body, .zlib)),
            ] {
                try fixture.deleteStream()
                let response = try client.post("/telemetry", contentType: contentType, encoding: encoding, body: bytes)
                #expect(response.status == 200, "\(body.name) \(contentType) \(encoding ?? ""): \(response.bodyText)")
                #expect(response.json["accepted"] as? Int == body.events!.count)
                #expect(try fixture.storedEvents() == expected, "\(body.name) \(contentType) \(encoding ?? "")")
            }
            try fixture.deleteStream()
        }
    }

    /// Every malformed fixture is a 400 with the decoder's message, plain or gzip'd, and nothing is stored.
    @Test func malformedBodiesAre400() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        for body in ProtobufFixture.invalid {
            for (encoding, bytes) in [(nil, body.body), ("gzip", Deflater.compress(body.body, .gzip))] {
                let response = try client.post(
                    "/telemetry", contentType: "application/x-protobuf", encoding: encoding, body: bytes)
                #expect(response.status == 400, "\(body.name)")
                #expect(response.json["error"] as? String == body.error, "\(body.name)")
            }
        }
        let empty = try client.post("/telemetry", contentType: "application/x-protobuf", body: [])
        #expect(empty.status == 400)
        #expect(empty.json["error"] as? String == "body: empty; expected a TelemetryBatch")
        #expect(try fixture.storedCount() == 0)
    }

    /// Other media types are 415 naming the three accepted ones.
    @Test func otherMediaTypesAre415() throws {
        let fixture = try GatewayFixture()
        let response = try fixture.client().post(
            "/telemetry", contentType: "application/x-protobuffer", body: [0x0A, 0x00])
        #expect(response.status == 415)
        #expect(
            response.json["error"] as? String
                == "Content-Type must be application/json, application/x-protobuf or application/protobuf")
    }
}
