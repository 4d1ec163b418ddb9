import FoundationEssentials
import Testing

@testable import Processor

/// The fast path agrees with `JSONDecoder` wherever it answers, and steps aside (nil) where it must not guess.
@Suite struct EventJSONParserTests {
    private func slow(_ text: String) -> EventData? {
        try? JSONDecoder().decode(EventData.self, from: Data(text.utf8))
    }

    @Test(arguments: [
        #"{"device_id":"d","value":1,"received_at":"2026-11-30T06:37:25.000Z"}"#,
        #"{"device_id":"sensor-17","value":-27.31e2,"type":"temperature","unit":"celsius","priority":"HIGH","timestamp":"2026-11-30T04:00:00.000Z","metadata":{"location":"zone-1","n":3,"ok":false,"x":0.5},"received_at":"2026-11-30T06:37:25.000Z"}"#,
        #" { "value" : 0 , "device_id" : "a\"b\\c\/d\n\t\u00e9\ud83d\ude00" , "metadata" : { } } "#,
        #"{"value":1.5,"type":null,"unit":null,"metadata":null,"unknown":"x","other":true}"#,
        #"{"value":12345678901234567890,"device_id":"ünïcødé 設備"}"#,
        #"{"value":1E+2,"metadata":{"k y":"v,=\"w"}}"#,
    ])
    func agreesWithJSONDecoder(text: String) throws {
        let fast = EventJSONParser.parse(Array(text.utf8))
        let expected = try #require(slow(text))
        #expect(fast == expected)
    }

    /// Everything JSONDecoder refuses, and a few things it accepts that the fast path leaves to it.
    @Test(arguments: [
        "not json", "", "{}", "[]", #"{"value":"1"}"#, #"{"value":1,"device_id":2}"#, #"{"value":1,"value":2}"#,
        #"{"value":1,"metadata":{"a":{"b":1}}}"#, #"{"value":1,"metadata":{"a":[1]}}"#, #"{"value":01}"#,
        #"{"value":1.}"#, #"{"value":1e}"#, #"{"value":-}"#, #"{"value":1e400}"#, #"{"value":1,"sequence_id":7}"#,
        #"{"value":1,"device_id":"\x"}"#, #"{"value":1,"device_id":"\ud800"}"#,
        "{\"value\":1,\"device_id\":\"a\u{01}\"}",
        #"{"value":1,}"#, #"{"value":1} x"#, #"{"value":1,"unknown":[1,{"a":2}]}"#, #"{"value":nul}"#,
        #"{"value":1,"metadata":{"a":1,"a":2}}"#,
    ])
    func leavesTheRestToJSONDecoder(text: String) {
        #expect(EventJSONParser.parse(Array(text.utf8)) == nil)
    }
}
