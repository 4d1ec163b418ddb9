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

    /// A JSON number literal is copied only where Swift prints the same text for its Double; elsewhere the
    /// literal is refused and converted instead.
    @Test(arguments: [
        "0", "-0", "0.0", "1", "-70", "21.5", "21.50", "0.1", "0.0001", "0.00012", "123456789012345",
        "99999999999999.9",
        "0.000123456789012345", "100", "1.000", "-3.25", "9007199254740993", "1234567890123456", "0.00001", "1e3",
        "1.5E-2", "0.1234567890123456", "12345678901234.56", "00", "01",
    ])
    func floatLiterals(literal: String) {
        var bytes = Array(literal.utf8)
        var out: [UInt8] = []
        let copied = bytes.withUnsafeMutableBufferPointer {
            LineProtocol.appendFloat(literal: UnsafeBufferPointer($0), to: &out)
        }
        guard copied else {
            #expect(out.isEmpty)
            return
        }
        var converted: [UInt8] = []
        LineProtocol.appendFloat(Double(literal)!, to: &converted)
        #expect(String(decoding: out, as: UTF8.self) == String(decoding: converted, as: UTF8.self))
    }

    /// Many generated literals, short and long, small and large: wherever one is copied, it is Swift's text.
    @Test func floatLiteralsAgreeWithSwift() {
        var generator = SystemRandomNumberGenerator()
        var copiedCount = 0
        for _ in 0..<20_000 {
            let integerDigits = Int.random(in: 0...16, using: &generator)
            let fractionDigits = Int.random(in: 0...8, using: &generator)
            var text = Bool.random(using: &generator) ? "-" : ""
            text += integerDigits == 0 ? "0" : String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<max(integerDigits, 1) { text += String(Int.random(in: 0...9, using: &generator)) }
            if fractionDigits > 0 {
                text += "."
                for _ in 0..<fractionDigits { text += String(Int.random(in: 0...9, using: &generator)) }
            }
            var out: [UInt8] = []
            let copied = Array(text.utf8).withUnsafeBufferPointer { LineProtocol.appendFloat(literal: $0, to: &out) }
            guard copied else { continue }
            copiedCount += 1
            var converted: [UInt8] = []
            LineProtocol.appendFloat(Double(text)!, to: &converted)
            #expect(out == converted, "\(text)")
        }
        #expect(copiedCount > 10_000)
    }

    @Test(arguments: [Int64(0), 7, -7, 1_796_020_644_123_678_009, Int64.max, Int64.min])
    func decimals(value: Int64) {
        var out: [UInt8] = []
        LineProtocol.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }
}
