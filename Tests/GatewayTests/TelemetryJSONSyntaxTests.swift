import Foundation
import Gateway
import TestSupport
import Testing

/// The JSON grammar as the telemetry decoder enforces it, through the public decoder.
@Suite struct TelemetryJSONSyntaxTests {
    /// `{"device_id":"` is 14 bytes, so a device ID's first byte is at offset 14.
    private static func deviceIDBody(_ bytes: [UInt8]) -> [UInt8] {
        Array(#"{"device_id":""#.utf8) + bytes + Array(#"","value":1}"#.utf8)
    }

    /// `{"device_id":"d","value":` is 25 bytes, so a value's first byte is at offset 25.
    private static func valueBody(_ lexeme: String) -> String {
        #"{"device_id":"d","value":\#(lexeme)}"#
    }

    static let wellFormedUTF8: [[UInt8]] = [
        [0xC2, 0x80],  // U+0080, smallest two-byte
        [0xC3, 0xA9],  // é
        [0xDF, 0xBF],  // U+07FF
        [0xE0, 0xA0, 0x80],  // U+0800, smallest three-byte
        [0xE2, 0x82, 0xAC],  // €
        [0xED, 0x9F, 0xBF],  // U+D7FF, just below the surrogates
        [0xEE, 0x80, 0x80],  // U+E000, just above them
        [0xEF, 0xBF, 0xBF],  // U+FFFF
        [0xF0, 0x90, 0x80, 0x80],  // U+10000, smallest four-byte
        [0xF0, 0x9D, 0x84, 0x9E],  // 𝄞
        [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF, the last code point
    ]

    /// Every well-formed UTF-8 length and boundary is accepted and kept byte for byte.
    @Test(arguments: wellFormedUTF8)
    func acceptsWellFormedUTF8(sequence: [UInt8]) throws {
        let batch = try decodeGuarded(Self.deviceIDBody([0x61] + sequence)).get()
        #expect(batch.events[0].deviceID == [0x61] + sequence)
    }

    static let malformedUTF8: [(sequence: [UInt8], message: String)] = [
        ([0x80], "invalid UTF-8"),  // lone continuation byte
        ([0xBF], "invalid UTF-8"),
        ([0xC0, 0x80], "invalid UTF-8"),  // overlong NUL
        ([0xC1, 0xBF], "invalid UTF-8"),  // overlong two-byte
        ([0xE0, 0x80, 0x80], "invalid UTF-8"),  // overlong three-byte
        ([0xE0, 0x9F, 0xBF], "invalid UTF-8"),
        ([0xF0, 0x80, 0x80, 0x80], "invalid UTF-8"),  // overlong four-byte
        ([0xF0, 0x8F, 0xBF, 0xBF], "invalid UTF-8"),
        ([0xED, 0xA0, 0x80], "invalid UTF-8"),  // U+D800 encoded directly
        ([0xED, 0xBF, 0xBF], "invalid UTF-8"),  // U+DFFF
        ([0xED, 0xA0, 0xBD, 0xED, 0xB2, 0xA9], "invalid UTF-8"),  // CESU-8 surrogate pair
        ([0xF4, 0x90, 0x80, 0x80], "invalid UTF-8"),  // U+110000
        ([0xF5, 0x80, 0x80, 0x80], "invalid UTF-8"),
        ([0xF8, 0x88, 0x80, 0x80, 0x80], "invalid UTF-8"),  // old five-byte form
        ([0xFE], "invalid UTF-8"),
        ([0xFF], "invalid UTF-8"),
        ([0xC3], "invalid UTF-8"),  // truncated by the closing quote
        ([0xE2, 0x82], "invalid UTF-8"),
        ([0xF0, 0x9D, 0x84], "invalid UTF-8"),
        ([0xC3, 0x41], "invalid UTF-8"),  // continuation replaced by ASCII
        ([0xE2, 0x28, 0xA1], "invalid UTF-8"),
    ]

    /// Malformed UTF-8 (overlongs, encoded surrogates, truncated sequences, > U+10FFFF) is refused at its lead byte.
    @Test(arguments: malformedUTF8)
    func refusesMalformedUTF8(sequence: [UInt8], message: String) {
        #expect(refusal(Self.deviceIDBody([0x61] + sequence)) == "body: invalid JSON at byte 15: \(message)")
    }

    /// Invalid UTF-8 is refused wherever it is: in keys, metadata, unknown fields, between tokens, at the very end.
    @Test func refusesInvalidUTF8Anywhere() {
        let inKey = Array(#"{"device_id":"d","value":1,"metadata":{"k"#.utf8) + [0xFF] + Array(#"":1}}"#.utf8)
        #expect(refusal(inKey) == "body: invalid JSON at byte 41: invalid UTF-8")
        let inUnknownField = Array(#"{"x"#.utf8) + [0xC0, 0xAF] + Array(#"":1}"#.utf8)
        #expect(refusal(inUnknownField) == "body: invalid JSON at byte 3: invalid UTF-8")
        let outsideString = Array(TelemetryFixtures.event("d").utf8) + [0xC3, 0xA9]
        #expect(refusal(outsideString) == "body: invalid JSON at byte 27: unexpected byte 0xC3")
        let truncatedAtEnd = Array(#"{"device_id":"d"#.utf8) + [0xE2, 0x82]
        #expect(refusal(truncatedAtEnd) == "body: invalid JSON at byte 17: unexpected end of input")
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(TelemetryFixtures.event("d").utf8)
        #expect(refusal(byteOrderMark) == "body: invalid JSON at byte 0: unexpected byte 0xEF")
    }

    static let escapes: [(lexeme: String, deviceID: [UInt8])] = [
        (#"\"\\\/"#, Array(#""\/"#.utf8)),
        (#"\u0041\u00e9\u00E9"#, Array("Aéé".utf8)),
        (#"\u07ff\u0800\uffff"#, [0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xEF, 0xBF, 0xBF]),
        (#"\ud800\udc00"#, [0xF0, 0x90, 0x80, 0x80]),  // first supplementary code point
        (#"\uD834\uDD1E"#, Array("𝄞".utf8)),
        (#"\uDBFF\uDFFF"#, [0xF4, 0x8F, 0xBF, 0xBF]),  // U+10FFFF
        (#"a\ud83d\ude00b"#, Array("a😀b".utf8)),
    ]

    /// Escapes, including surrogate pairs in either hex case, decode to the right UTF-8.
    @Test(arguments: escapes)
    func decodesEscapes(lexeme: String, deviceID: [UInt8]) throws {
        let batch = try decodeGuarded(Self.deviceIDBody(Array(lexeme.utf8))).get()
        #expect(batch.events[0].deviceID == deviceID)
    }

    /// Control-character escapes are valid JSON: refused in a device ID by rule, kept as sent in other strings.
    @Test func acceptsControlEscapesOutsideDeviceID() throws {
        let body = #"{"device_id":"d","value":1,"type":"\b\f\n\r\t\u0000","metadata":{"\u001f":"\u007F"}}"#
        let batch = try decodeGuarded(body).get()
        #expect(String(decoding: batch.events[0].data, as: UTF8.self).contains(#""type":"\b\f\n\r\t\u0000""#))
    }

    static let badEscapes: [(lexeme: String, message: String)] = [
        (#"\x41"#, "invalid escape sequence"),
        (#"\U0041"#, "invalid escape sequence"),
        (#"\'"#, "invalid escape sequence"),
        (#"\a"#, "invalid escape sequence"),
        ("\\\n", "invalid escape sequence"),
        (#"\u12"#, #"invalid \u escape"#),
        (#"\u12g4"#, #"invalid \u escape"#),
        (#"\u+123"#, #"invalid \u escape"#),
        (#"\ud800"#, #"unpaired surrogate in \u escape"#),
        (#"\udc00"#, #"unpaired surrogate in \u escape"#),
        (#"\udfff\ud800"#, #"unpaired surrogate in \u escape"#),
        (#"\ud800\ud800"#, #"unpaired surrogate in \u escape"#),
        (#"\ud800\u0041"#, #"unpaired surrogate in \u escape"#),
        (#"\ud800x"#, #"unpaired surrogate in \u escape"#),
        (#"\ud800\n"#, #"unpaired surrogate in \u escape"#),
        ("\t", "control character in string"),
        ("\u{1F}", "control character in string"),
    ]

    /// Bad escapes and lone surrogates are refused at the backslash that starts them.
    @Test(arguments: badEscapes)
    func refusesBadEscapes(lexeme: String, message: String) {
        #expect(refusal(Self.deviceIDBody(Array(lexeme.utf8))) == "body: invalid JSON at byte 14: \(message)")
    }

    /// A bad low half of a surrogate pair is reported at its own backslash.
    @Test func refusesBadLowSurrogateEscape() {
        let body = Self.deviceIDBody(Array(#"\ud800\uzzzz"#.utf8))
        #expect(refusal(body) == #"body: invalid JSON at byte 20: invalid \u escape"#)
    }

    /// A body that ends inside an escape is cut short, not a bad escape.
    @Test(arguments: [#"\"#, #"\u"#, #"\u00"#, #"\ud800"#, #"\ud800\"#, #"\ud800\udc"#])
    func refusesEscapeCutByEndOfBody(lexeme: String) {
        let body = #"{"device_id":""# + lexeme
        #expect(refusal(body) == "body: invalid JSON at byte \(body.utf8.count): unexpected end of input")
    }

    static let finiteNumbers: [String] = [
        "0", "-0", "0.0", "-0.0e-0", "1", "-1", "27.31", "2.50", "1E2", "1e+2", "1e-2",
        "123456789012345678901234567890",
        "1e308", "1.7976931348623157e308", "-1.7976931348623157e308",
        "1.7976931348623158e308",  // rounds down to greatestFiniteMagnitude
        "1797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864"
            + "1669288791094655554785194040263065748867150582068190890200070838367627385484581771153176447573027006985"
            + "5571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
        "0.001e311", "1" + String(repeating: "0", count: 308), "0." + String(repeating: "0", count: 400) + "1e708",
        "4.9e-324", "1e-400", "-1e-99999999999999999999", "0e99999999999999999999", "0.000e99999", "-0.0e400",
    ]

    /// Numbers that convert to a finite Double are accepted, right up to the overflow threshold.
    @Test(arguments: finiteNumbers)
    func acceptsFiniteNumbers(lexeme: String) throws {
        let batch = try decodeGuarded(Self.valueBody(lexeme)).get()
        #expect(String(decoding: batch.events[0].data, as: UTF8.self).contains(#""value":\#(lexeme),"#))
    }

    static let infiniteNumbers: [String] = [
        "1e309", "-1e309", "1e400", "10e308", "0.1e310", "1.7976931348623159e308",
        // Exactly halfway between greatestFiniteMagnitude and 2^1024 rounds to infinity.
        "1797693134862315807937289714053034150799341327100378269361737789804449682927647509466490179775872070963302864"
            + "1669288791094655554785194040263065748867150582068190890200070838367627385484581771153176447573027006985"
            + "5571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
        "1" + String(repeating: "0", count: 309), "1e99999999999999999999999999", "-9.9e9999",
    ]

    /// Numbers too large for a Double are valid JSON but not finite telemetry.
    @Test(arguments: infiniteNumbers)
    func refusesNumbersThatOverflow(lexeme: String) {
        #expect(refusal(Self.valueBody(lexeme)) == "value: expected a finite number")
    }

    static let malformedNumbers: [(lexeme: String, message: String)] = [
        ("01", "body: invalid JSON at byte 26: leading zeros are not allowed"),
        ("-01", "body: invalid JSON at byte 27: leading zeros are not allowed"),
        ("00", "body: invalid JSON at byte 26: leading zeros are not allowed"),
        ("1.", "body: invalid JSON at byte 27: unexpected '}'"),
        ("1.e5", "body: invalid JSON at byte 27: unexpected 'e'"),
        (".5", "body: invalid JSON at byte 25: unexpected '.'"),
        ("-", "body: invalid JSON at byte 26: unexpected '}'"),
        ("--1", "body: invalid JSON at byte 26: unexpected '-'"),
        ("+1", "body: invalid JSON at byte 25: unexpected '+'"),
        ("1e", "body: invalid JSON at byte 27: unexpected '}'"),
        ("1e+", "body: invalid JSON at byte 28: unexpected '}'"),
        ("1E-x", "body: invalid JSON at byte 28: unexpected 'x'"),
        ("0x10", "body: invalid JSON at byte 26: unexpected 'x'"),
        ("1_000", "body: invalid JSON at byte 26: unexpected '_'"),
        ("1.5.2", "body: invalid JSON at byte 28: unexpected '.'"),
        ("- 1", "body: invalid JSON at byte 26: unexpected ' '"),
    ]

    /// The number grammar of RFC 8259 is enforced exactly, with the offending byte's offset.
    @Test(arguments: malformedNumbers)
    func refusesMalformedNumbers(lexeme: String, message: String) {
        #expect(refusal(Self.valueBody(lexeme)) == message)
    }

    /// Finiteness matches Swift's own Double parsing for thousands of numbers around the overflow threshold.
    @Test func finitenessAgreesWithDoubleParsing() {
        var generator = SeededGenerator(seed: 0x5EED_0001)
        let digits = Array("0123456789")
        for _ in 0..<3000 {
            let mantissaDigits = Int.random(in: 1...40, using: &generator)
            var mantissa = String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<mantissaDigits {
                mantissa.append(digits[Int.random(in: 0...9, using: &generator)])
            }
            let pointPosition = Int.random(in: 1...mantissaDigits, using: &generator)
            if pointPosition < mantissaDigits {
                mantissa.insert(".", at: mantissa.index(mantissa.startIndex, offsetBy: pointPosition))
            }
            let exponent = 308 - pointPosition + Int.random(in: -2...2, using: &generator)
            let lexeme = "\(mantissa)e\(exponent)"
            let expectedFinite = Double(lexeme)!.isFinite
            let accepted = refusal(Self.valueBody(lexeme)) == nil
            #expect(accepted == expectedFinite, "\(lexeme)")
        }
    }

    /// Nesting up to the limit is read as ordinary JSON; one level more is refused without recursion, however deep.
    @Test func boundsNesting() {
        let nested = { (depth: Int) in String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(refusal(nested(32)) == "events[0]: expected an object")
        #expect(refusal(nested(33)) == "body: nesting deeper than 32")
        #expect(refusal(String(repeating: "[", count: 200_000)) == "body: nesting deeper than 32")
        #expect(refusal(String(repeating: #"{"a":"#, count: 100_000)) == "body: nesting deeper than 32")
        let mixed = String(repeating: #"[{"k":"#, count: 16) + "1" + String(repeating: "}]", count: 16)
        #expect(refusal(mixed) == "events[0].k: unknown field")
        let tooMixed = String(repeating: #"[{"k":"#, count: 17) + "1" + String(repeating: "}]", count: 17)
        #expect(refusal(tooMixed) == "body: nesting deeper than 32")
    }

    static let truncationSources: [String] = [
        TelemetryFixtures.sample,
        #"{"value":-0.5e-3,"device_id":"d\u00e9v\ud834\udd1e","priority":"low","type":"é€𝄞","unit":null}"#,
        "[\n" + TelemetryFixtures.sample + ",\n"
            + #"{"device_id":"b","value":1,"metadata":{"ok":true,"n":-1E+2}}"# + "\n]",
    ]

    /// Every proper prefix of a valid body is refused, and none reads past the end of the buffer.
    @Test(arguments: truncationSources)
    func refusesEveryTruncation(body: String) throws {
        let bytes = Array(body.utf8)
        _ = try decodeGuarded(bytes).get()
        for length in 0..<bytes.count {
            let prefix = Array(bytes[..<length])
            let message = refusal(prefix)
            #expect(message != nil, "prefix of \(length) bytes was accepted")
            _ = withGuardedBytes(prefix) { TelemetryPrescan.scan($0) }
        }
    }

    /// Thousands of seeded random and mutated bodies never crash the decoder or the prescan; whatever the decoder
    /// accepts is also JSON to Foundation, stores JSON objects, and agrees with the prescan's count.
    @Test func survivesGarbage() throws {
        var generator = SeededGenerator(seed: 0x7E1E_3E72)
        let awkwardBytes: [UInt8] = [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xED, 0xFF]
        let alphabet = Array(#"{}[]:,"\ -+.0123456789eEtrufalsn"#.utf8) + awkwardBytes
        let seeds = Self.truncationSources.map { Array($0.utf8) } + [Array(TelemetryFixtures.batch(3).utf8)]
        var accepted = 0
        for round in 0..<6000 {
            var body: [UInt8]
            if round % 3 == 0 {
                let length = Int.random(in: 0...64, using: &generator)
                body = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            } else {
                body = seeds.randomElement(using: &generator)!
                for _ in 0...Int.random(in: 0...3, using: &generator) {
                    let position = Int.random(in: 0..<body.count, using: &generator)
                    let byte = alphabet.randomElement(using: &generator)!
                    switch Int.random(in: 0...2, using: &generator) {
                    case 0: body[position] = byte
                    case 1: body.insert(byte, at: position)
                    default: body.remove(at: position)
                    }
                }
            }
            let prescan = withGuardedBytes(body) { TelemetryPrescan.scan($0) }
            guard case .success(let batch) = decodeGuarded(body) else { continue }
            accepted += 1
            #expect(batch.events.count == (batch.isArray ? prescan.eventCount : 1))
            #expect((try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil)
            for event in batch.events {
                let stored = try JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any]
                #expect(stored?["received_at"] as? String == TelemetryFixtures.receivedAtText)
            }
        }
        #expect(accepted > 100)
    }
}
