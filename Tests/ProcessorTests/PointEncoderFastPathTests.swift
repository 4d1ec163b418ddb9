import Testing

@testable import Processor

/// The fast path writes exactly the general path's line wherever it answers, and declines the rest.
@Suite struct PointEncoderFastPathTests {
    private func entry(_ id: String, fields: [(String, String)]) -> StreamEntry {
        StreamEntry(id: id, fields: fields.map { (Array($0.0.utf8), Array($0.1.utf8)) })
    }

    private func gatewayEntry(_ data: String, id: String = "1764484645678-9") -> StreamEntry {
        entry(id, fields: [("device_id", "dev-1"), ("priority", "HIGH"), ("data", data)])
    }

    /// Runs both paths; nil when the fast path declined.
    private func fastAndGeneral(_ entry: StreamEntry, tagKeys: [String]) -> (fast: String, general: String?)? {
        var encoder = PointEncoder(measurement: "tele metry", tagKeys: tagKeys)
        var out: [UInt8] = Array("previous\n".utf8)
        guard case .point(let receivedAt) = encoder.appendFast(entry, id: StreamEntryID(entry.id)!, to: &out) else {
            #expect(out == Array("previous\n".utf8), "a declined entry writes nothing")
            return nil
        }
        let general = try? encoder.encode(entry).get()
        #expect(receivedAt == general?.receivedAtMilliseconds)
        return (
            String(decoding: out.dropFirst(9), as: UTF8.self), general.map { String(decoding: $0.line, as: UTF8.self) }
        )
    }

    @Test(arguments: [
        #"{"device_id":"sensor-17","value":21.5,"type":"temperature","unit":"celsius","metadata":{"site":"zone-1","rssi":-70},"priority":"MEDIUM","received_at":"2026-11-30T06:37:25.123Z"}"#,
        #"{"device_id":"d","value":1,"received_at":"2026-11-30T06:37:25.000Z"}"#,
        #"{"value":-0,"timestamp":"2026-11-30T08:37:24.1+02:00","metadata":{"b":true,"a":false,"c":"x y,z=\"","value":3}}"#,
        #" { "value" : 0.00010 , "type" : "" , "unit" : null , "metadata" : { } , "received_at" : "2026-11-30T06:37:25Z" } "#,
        #"{"value":123456789012345,"metadata":{"n":1e3,"m":0.00001,"big":12345678901234567890,"t":"k=v"},"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":2.50,"metadata":{"site":"north hall","device_id":"x","z":"\\"},"unknown":[1],"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":7,"metadata":{"site":"","type":"t","metadata_type":"u"},"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":7,"metadata":{"site":3},"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":7,"other":"x","other":1.5,"received_at":"not a time","timestamp":"2026-11-30T06:37:25Z"}"#,
    ])
    func agreesWithTheGeneralPath(data: String) {
        for tagKeys in [[], ["site", "type"]] {
            guard let (fast, general) = fastAndGeneral(gatewayEntry(data), tagKeys: tagKeys) else { continue }
            #expect(fast == general, "tag keys \(tagKeys)")
        }
    }

    /// The gateway's own shape always takes the fast path.
    @Test func takesTheGatewaysShape() {
        let data =
            #"{"device_id":"sensor-17","value":21.5,"type":"temperature","unit":"celsius","metadata":{"site":"zone-1","rssi":-70},"priority":"MEDIUM","received_at":"2026-11-30T06:37:25.123Z"}"#
        let result = fastAndGeneral(gatewayEntry(data), tagKeys: ["site"])
        #expect(
            result?.fast
                == #"tele\ metry,device_id=dev-1,priority=HIGH,site=zone-1,type=temperature,unit=celsius value=21.5,rssi=-70.0 1796020645123678009"#
        )
    }

    /// Escapes, non-ASCII text, duplicates, `sequence_id`, poison and numbers it cannot map byte for byte go to the
    /// general path, which gives the same point or the reason for the dead letter.
    @Test(arguments: [
        #"{"value":1,"device_id":"a\"b","received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1,"type":"ünï","received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1,"value":2,"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1,"sequence_id":3,"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1,"metadata":{"a":1,"a":2},"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1,"metadata":{"a":{"b":1}},"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1e400,"received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":"1","received_at":"2026-11-30T06:37:25Z"}"#,
        #"{"value":1}"#, #"{"value":1,"timestamp":"yesterday"}"#, "not json",
        #"{"value":1,"received_at":"2026-11-30T06:37:25Z"} x"#,
        #"{"value":1,"metadata":{"type":"a","metadata_type":"b"},"received_at":"2026-11-30T06:37:25Z"}"#,
    ])
    func declines(data: String) {
        #expect(fastAndGeneral(gatewayEntry(data), tagKeys: []) == nil)
    }

    /// Stream fields win over the JSON's, and must be ASCII for the fast path; no device id at all is poison.
    @Test func streamFields() {
        let data = #"{"device_id":"json-device","priority":"LOW","value":1,"received_at":"2026-11-30T06:37:25Z"}"#
        let result = fastAndGeneral(entry("1-0", fields: [("data", data), ("device_id", "a,b")]), tagKeys: [])
        #expect(result?.fast == result?.general)
        #expect(result?.fast.hasPrefix(#"tele\ metry,device_id=a\,b,priority=LOW "#) == true)
        #expect(fastAndGeneral(entry("1-0", fields: [("data", data), ("device_id", "dévice")]), tagKeys: []) == nil)
        #expect(fastAndGeneral(entry("1-0", fields: [("data", data), ("device_id", "")]), tagKeys: []) == nil)
    }

    /// `append` takes the fast path when it can and the general one otherwise, with the same results.
    @Test func appendFallsBack() throws {
        var encoder = PointEncoder(measurement: "t", tagKeys: [])
        var out: [UInt8] = []
        let escaped = gatewayEntry(#"{"value":1,"type":"a\nb","received_at":"2026-11-30T06:37:25Z"}"#)
        #expect(try encoder.append(escaped, to: &out).get() == 1_796_020_645_000)
        #expect(out == (try? encoder.encode(escaped).get().line))
        guard case .failure(let reason) = encoder.append(gatewayEntry("[]"), to: &out) else {
            Issue.record("[] was encoded")
            return
        }
        #expect(reason.label == "undecodable")
    }

    @Test(arguments: [
        ("1-0", 1, 0), ("1764484645678-12", 1_764_484_645_678, 12), ("18446744073709551615-0", UInt64.max, 0),
    ])
    func parsesEntryIDs(text: String, milliseconds: UInt64, sequence: UInt64) {
        #expect(StreamEntryID(text) == StreamEntryID(milliseconds: milliseconds, sequence: sequence))
    }

    @Test(arguments: ["", "1", "1-", "-1", "1-2-3", "a-1", "1 -2", "+1-2", "18446744073709551616-0"])
    func refusesMalformedEntryIDs(text: String) {
        #expect(StreamEntryID(text) == nil)
    }
}
