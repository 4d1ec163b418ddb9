import RespClient

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `text`, so RESP fixtures can be written as readable string literals.
    init(resp text: String) {
        self = Array(text.utf8)
    }
}

/// What a decoder produced from one way of feeding an input: replies in order, then the error that stopped it, if
/// any, and the bytes it still held.
struct DecodeOutcome: CustomStringConvertible {
    var replies: [RESPValue] = []
    var error: RESPProtocolError?
    var bufferedByteCount = 0

    /// Compares through the printed form so that `.double(.nan)` matches itself.
    func sameResult(as other: DecodeOutcome) -> Bool {
        description == other.description
    }

    var description: String {
        "replies: \(replies), error: \(error.map(\.reason) ?? "none"), buffered: \(bufferedByteCount)"
    }
}

/// One way of handing an input to the decoder, in the pieces it arrives in.
struct Feeding {
    var label: String
    var chunks: [ArraySlice<UInt8>]

    /// The three ways every decoder input is tested: whole, split in two at every index, and one byte at a time.
    static func everyWay(_ input: [UInt8]) -> [Feeding] {
        var feedings = [Feeding(label: "whole", chunks: [input[...]])]
        if input.count > 1 {
            for split in 1..<input.count {
                feedings.append(Feeding(label: "split at \(split)", chunks: [input[..<split], input[split...]]))
            }
        }
        feedings.append(Feeding(label: "byte by byte", chunks: input.indices.map { input[$0...$0] }))
        return feedings
    }

    /// Feeds each chunk, alternating between the array and the raw-pointer entry points, and drains every reply
    /// after each one.
    func decode(limits: RESPDecoderLimits = .init()) -> DecodeOutcome {
        var decoder = RESPDecoder(limits: limits)
        var outcome = DecodeOutcome()
        for (index, chunk) in chunks.enumerated() {
            if index.isMultiple(of: 2) {
                decoder.feed(Array(chunk))
            } else {
                chunk.withUnsafeBytes { decoder.feed($0) }
            }
            do {
                while let reply = try decoder.next() {
                    outcome.replies.append(reply)
                }
            } catch {
                outcome.error = error
                break
            }
        }
        outcome.bufferedByteCount = decoder.bufferedByteCount
        return outcome
    }
}

/// Writes any `RESPValue` as RESP3, so randomized tests can check that decoding gives back what was encoded.
/// `.null` is written as `_`; the RESP2 null forms are covered by fixed inputs.
enum RESPTestWriter {
    static func encode(_ value: RESPValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, to: &out)
        return out
    }

    static func write(_ value: RESPValue, to out: inout [UInt8]) {
        switch value {
        case .simpleString(let text): line("+", text, &out)
        case .error(let text): blob("!", Array(text.utf8), &out)
        case .integer(let integer): line(":", "\(integer)", &out)
        case .bulkString(let bytes): blob("$", bytes, &out)
        case .null: line("_", "", &out)
        case .array(let elements): sequence("*", elements, &out)
        case .boolean(let flag): line("#", flag ? "t" : "f", &out)
        case .double(let double): line(",", double.isNaN ? "nan" : "\(double)", &out)
        case .bigNumber(let digits): line("(", digits, &out)
        case .verbatimString(let format, let text): blob("=", Array(format.utf8) + [UInt8(ascii: ":")] + text, &out)
        case .map(let pairs): pairList("%", pairs, &out)
        case .set(let elements): sequence("~", elements, &out)
        case .push(let elements): sequence(">", elements, &out)
        case .attributed(let pairs, let annotated):
            pairList("|", pairs, &out)
            write(annotated, to: &out)
        }
    }

    private static func line(_ type: Character, _ text: String, _ out: inout [UInt8]) {
        out += Array("\(type)\(text)\r\n".utf8)
    }

    private static func blob(_ type: Character, _ bytes: [UInt8], _ out: inout [UInt8]) {
        line(type, "\(bytes.count)", &out)
        out += bytes + [0x0D, 0x0A]
    }

    private static func sequence(_ type: Character, _ elements: [RESPValue], _ out: inout [UInt8]) {
        line(type, "\(elements.count)", &out)
        for element in elements { write(element, to: &out) }
    }

    private static func pairList(_ type: Character, _ pairs: [RESPPair], _ out: inout [UInt8]) {
        line(type, "\(pairs.count)", &out)
        for pair in pairs {
            write(pair.key, to: &out)
            write(pair.value, to: &out)
        }
    }
}
