import RespClient
import TestSupport
import Testing

private func fragments(_ texts: [String]) -> [[UInt8]] {
    texts.map { Array($0.utf8) }
}

/// Pieces that make random input look like RESP often enough to reach deep decoder states.
private let typeBytes = fragments(["+", "-", ":", "$", "*", "%", "~", ">", "|", "#", ",", "_", "(", "=", "!", "?"])
private let lineTexts = fragments([
    "", "0", "1", "2", "3", "4", "9", "-1", "-2", "17", "99999999999", "9223372036854775808", "01", "t", "f",
    "inf", "-nan", "1.5", "1e", "txt:a", "OK", "a b", "abcdefghijklmnop",
])
private let lineEnds = fragments(["\r\n", "\r\n", "\r\n", "\r\n", "\r", "\n", ""])

private let tightLimits = RESPDecoderLimits(maxDepth: 4, maxElements: 8, maxBulkBytes: 16, maxLineBytes: 12)

private func randomByte(using generator: inout SeededGenerator) -> UInt8 {
    UInt8.random(in: 0...255, using: &generator)
}

/// Up to 16 pieces: mostly a type byte, a line and a line end, each possibly wrong; one time in five an arbitrary
/// byte instead.
private func randomGarbage(using generator: inout SeededGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    for _ in 0..<Int.random(in: 0...16, using: &generator) {
        if Int.random(in: 0..<5, using: &generator) == 0 {
            bytes.append(randomByte(using: &generator))
        } else {
            for pieces in [typeBytes, lineTexts, lineEnds] {
                bytes += pieces.randomElement(using: &generator) ?? []
            }
        }
    }
    return bytes
}

private func randomText(using generator: inout SeededGenerator) -> String {
    let letters = Array("abcXYZ 019:-_é".unicodeScalars)
    let length = Int.random(in: 0...10, using: &generator)
    return String(String.UnicodeScalarView((0..<length).compactMap { _ in letters.randomElement(using: &generator) }))
}

private func randomBytes(using generator: inout SeededGenerator) -> [UInt8] {
    (0..<Int.random(in: 0...20, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

private func randomValue(depth: Int, using generator: inout SeededGenerator) -> RESPValue {
    func children() -> [RESPValue] {
        (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth - 1, using: &generator) }
    }
    func pairs() -> [RESPPair] {
        (0..<Int.random(in: 0...3, using: &generator)).map { _ in
            RESPPair(
                key: randomValue(depth: depth - 1, using: &generator),
                value: randomValue(depth: depth - 1, using: &generator)
            )
        }
    }
    switch Int.random(in: 0..<(depth > 0 ? 14 : 9), using: &generator) {
    case 0: return .simpleString(randomText(using: &generator))
    case 1: return .error(randomText(using: &generator))
    case 2: return .integer(Int64.random(in: .min ... .max, using: &generator))
    case 3: return .bulkString(randomBytes(using: &generator))
    case 4: return .null
    case 5: return .boolean(Bool.random(using: &generator))
    case 6:
        let double = Double(bitPattern: UInt64.random(in: 0 ... .max, using: &generator))
        return .double(double.isNaN ? .nan : double)
    case 7:
        let digits =
            String(UInt64.random(in: 0 ... .max, using: &generator))
            + String(UInt64.random(in: 0 ... .max, using: &generator))
        return .bigNumber(Bool.random(using: &generator) ? "-" + digits : digits)
    case 8:
        return .verbatimString(
            format: Bool.random(using: &generator) ? "txt" : "mkd", text: randomBytes(using: &generator))
    case 9: return .array(children())
    case 10: return .map(pairs())
    case 11: return .set(children())
    case 12: return .push(children())
    default: return .attributed(pairs(), randomValue(depth: depth - 1, using: &generator))
    }
}

/// Feeds `input` in random chunk sizes, so a long input is split at many places in one pass.
private func randomChunking(_ input: [UInt8], using generator: inout SeededGenerator) -> Feeding {
    var chunks: [ArraySlice<UInt8>] = []
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + Int.random(in: 1...9, using: &generator))
        chunks.append(input[offset..<end])
        offset = end
    }
    return Feeding(label: "random chunks", chunks: chunks)
}

/// Random garbage never crashes the decoder: every input either decodes, waits for more, or throws, and it does the
/// same whether fed whole or one byte at a time.
@Test(arguments: [RESPDecoderLimits(), tightLimits])
func randomGarbageOnlyThrowsOrWaits(_ limits: RESPDecoderLimits) {
    var generator = SeededGenerator(seed: 0x5EED)
    for _ in 0..<3_000 {
        let input = randomGarbage(using: &generator)
        let feedings = Feeding.everyWay(input)
        guard let whole = feedings.first, let byteByByte = feedings.last else { continue }
        let wholeOutcome = whole.decode(limits: limits)
        let byteOutcome = byteByByte.decode(limits: limits)
        #expect(wholeOutcome.sameResult(as: byteOutcome), "\(input)")
    }
}

/// Random RESP3 replies of every type, nested up to four deep and pipelined, decode back to the values encoded,
/// whatever the chunking.
@Test func randomRepliesRoundTrip() {
    var generator = SeededGenerator(seed: 0xC0DEC)
    for _ in 0..<1_000 {
        let count = Int.random(in: 1...4, using: &generator)
        let values = (0..<count).map { _ in randomValue(depth: 4, using: &generator) }
        let input = values.flatMap(RESPTestWriter.encode)
        let expected = DecodeOutcome(replies: values)
        let outcome = randomChunking(input, using: &generator).decode()
        #expect(outcome.sameResult(as: expected), "\(outcome)")
    }
}

/// Valid replies with one byte changed, inserted or removed never crash the decoder, and give the same result fed
/// whole or one byte at a time.
@Test func mutatedRepliesOnlyThrowOrWait() {
    var generator = SeededGenerator(seed: 0xBAD)
    for _ in 0..<3_000 {
        var input = RESPTestWriter.encode(randomValue(depth: 3, using: &generator))
        let position = Int.random(in: 0..<input.count, using: &generator)
        let byte = randomByte(using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: input[position] = byte
        case 1: input.insert(byte, at: position)
        default: input.remove(at: position)
        }
        let feedings = Feeding.everyWay(input)
        guard let whole = feedings.first, let byteByByte = feedings.last else { continue }
        for limits in [RESPDecoderLimits(), tightLimits] {
            #expect(whole.decode(limits: limits).sameResult(as: byteByByte.decode(limits: limits)), "\(input)")
        }
    }
}
