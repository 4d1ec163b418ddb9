import Testing

@testable import Processor

/// The escaping table of InfluxDB's line protocol, one row per special character and position.
@Suite struct LineProtocolTests {
    private func measurement(_ text: String) -> String {
        var out: [UInt8] = []
        LineProtocol.appendMeasurement(text.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func key(_ text: String) -> String {
        var out: [UInt8] = []
        LineProtocol.appendKey(text.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func stringField(_ text: String) -> String {
        var out: [UInt8] = []
        LineProtocol.appendStringField(text.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Measurements escape commas and spaces only; `=` is legal there.
    @Test(arguments: [
        ("cpu", "cpu"), ("a b", #"a\ b"#), ("a,b", #"a\,b"#), ("a=b", "a=b"), (#"a"b"#, #"a"b"#),
        ("a\nb", #"a\nb"#), (#"a\b"#, #"a\b"#), (#"ab\"#, #"ab\\"#),
    ])
    func measurementEscaping(input: String, expected: String) {
        #expect(measurement(input) == expected)
    }

    /// Tag keys, tag values and field keys escape commas, equals signs and spaces.
    @Test(arguments: [
        ("site", "site"), ("a b", #"a\ b"#), ("a,b", #"a\,b"#), ("a=b", #"a\=b"#), (#"say "hi""#, #"say\ "hi""#),
        ("line\nbreak", #"line\nbreak"#), ("cr\rx", #"cr\rx"#), (#"back\slash"#, #"back\slash"#),
        (#"trailing\"#, #"trailing\\"#), ("ünï", "ünï"),
    ])
    func keyEscaping(input: String, expected: String) {
        #expect(key(input) == expected)
    }

    /// String field values escape quotes and backslashes; spaces, commas, `=` and newlines stay inside the quotes.
    @Test(arguments: [
        ("plain", #""plain""#), ("a b,c=d", #""a b,c=d""#), (#"say "hi""#, #""say \"hi\"""#),
        (#"C:\dir"#, #""C:\\dir""#), ("two\nlines", "\"two\nlines\""),
    ])
    func stringFieldEscaping(input: String, expected: String) {
        #expect(stringField(input) == expected)
    }

    @Test func numbers() {
        var out: [UInt8] = []
        LineProtocol.appendFloat(42, to: &out)
        out.append(0x20)
        LineProtocol.appendFloat(0.1, to: &out)
        out.append(0x20)
        LineProtocol.appendInteger(-7, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "42.0 0.1 -7i")
    }
}
