import Gateway
import Testing

/// `sequence_id`, the device's unsigned 32-bit counter that JSON gained so it carries what protobuf carries.
@Suite struct TelemetrySequenceIDTests {
    /// Kept as sent, in place, from 0 through 4294967295; null means absent.
    @Test(arguments: ["0", "7", "4294967295"])
    func keptAsSent(_ lexeme: String) throws {
        let batch = try decodeGuarded(#"{"device_id":"d","sequence_id":\#(lexeme),"value":1}"#).get()
        let data = String(decoding: batch.events[0].data, as: UTF8.self)
        #expect(data.hasPrefix(#"{"device_id":"d","sequence_id":\#(lexeme),"value":1,"priority":"MEDIUM","#))
    }

    @Test func nullIsAbsent() throws {
        let batch = try decodeGuarded(#"{"device_id":"d","value":1,"sequence_id":null}"#).get()
        #expect(!String(decoding: batch.events[0].data, as: UTF8.self).contains("sequence_id"))
    }

    /// Anything but a plain integer in range is refused by name.
    @Test(arguments: ["-1", "4294967296", "99999999999", "1.0", "1e3", "0.5", #""7""#, "true", "[1]"])
    func refused(_ lexeme: String) {
        #expect(
            refusal(#"[{"device_id":"d","value":1,"sequence_id":\#(lexeme)}]"#)
                == "events[0].sequence_id: expected an integer from 0 to 4294967295")
    }

    @Test func duplicateRefused() {
        #expect(
            refusal(#"{"device_id":"d","value":1,"sequence_id":1,"sequence_id":2}"#) == "sequence_id: duplicate field")
    }
}
