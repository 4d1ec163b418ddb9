import RespClient
import TestSupport
import Testing

private func encode(_ arguments: [RESPArgument]) -> [UInt8] {
    var buffer: [UInt8] = []
    RESPEncoder.appendCommand(arguments, to: &buffer)
    return buffer
}

/// A telemetry XADD is written as an array of bulk strings, byte for byte as Redis expects it.
@Test func encodesAnXADDCommand() {
    let data = #"{"temperature":21.5,"battery":87}"#
    let arguments: [RESPArgument] = [
        .staticString("XADD"), .staticString("telemetry:events"), .staticString("*"),
        .staticString("device_id"), .string("d1"), .staticString("priority"), .string("HIGH"),
        .staticString("data"), .bytes(Array(data.utf8)),
    ]
    let expected =
        "*9\r\n$4\r\nXADD\r\n$16\r\ntelemetry:events\r\n$1\r\n*\r\n$9\r\ndevice_id\r\n$2\r\nd1\r\n"
        + "$8\r\npriority\r\n$4\r\nHIGH\r\n$4\r\ndata\r\n$33\r\n\(data)\r\n"
    #expect(encode(arguments) == Array(expected.utf8))
    #expect(RESPEncoder.encodedLength(of: arguments) == expected.utf8.count)
}

/// An empty argument is a zero-length bulk string, not a missing one.
@Test func encodesAnEmptyArgument() {
    #expect(
        encode([.staticString("SET"), .string("k"), .bytes([])])
            == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n".utf8))
    #expect(encode([.string("")]) == Array("*1\r\n$0\r\n\r\n".utf8))
}

/// Binary arguments, CR, LF and NUL included, are copied untouched behind their exact length.
@Test func encodesABinaryArgument() {
    let binary: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x24]
    #expect(encode([.bytes(binary)]) == Array("*1\r\n$5\r\n".utf8) + binary + Array("\r\n".utf8))
}

/// Integer arguments are written in decimal, negative numbers and both extremes of `Int` included.
@Test(arguments: [
    (0, "0"), (7, "7"), (42, "42"), (-1, "-1"), (-7, "-7"), (1_000_000, "1000000"),
    (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808"),
])
func encodesIntegerArguments(_ value: Int, _ text: String) {
    let expected = "*2\r\n$6\r\nEXPIRE\r\n$\(text.utf8.count)\r\n\(text)\r\n"
    #expect(encode([.staticString("EXPIRE"), .integer(value)]) == Array(expected.utf8))
    #expect(RESPEncoder.encodedLength(of: [.staticString("EXPIRE"), .integer(value)]) == expected.utf8.count)
}

/// A slice is written from its own bounds, not from the start of the array it was cut from.
@Test func encodesASliceFromItsBounds() {
    let body = Array("prefix:payload:suffix".utf8)
    #expect(encode([.slice(body[7..<14])]) == Array("*1\r\n$7\r\npayload\r\n".utf8))
}

/// Builds "é" through the unicode-scalar literal path, the one way to get a `StaticString` that stores a scalar
/// instead of a pointer to UTF-8.
private func scalarLiteral<Literal: ExpressibleByUnicodeScalarLiteral>(_: Literal.Type) -> Literal {
    "é"
}

/// Strings are counted and written as UTF-8 bytes, including a `StaticString` that holds a single scalar.
@Test func encodesNonASCIITextAsUTF8() {
    let scalar = scalarLiteral(StaticString.self)
    #expect(!scalar.hasPointerRepresentation)
    #expect(encode([.staticString(scalar)]) == Array("*1\r\n$2\r\né\r\n".utf8))
    #expect(encode([.string("grüße")]) == Array("*1\r\n$7\r\ngrüße\r\n".utf8))
    #expect(encode([.staticString("naïve")]) == Array("*1\r\n$6\r\nnaïve\r\n".utf8))
}

/// A command with no arguments is an empty array, and one with more than nine arguments gets a two-digit count.
@Test func encodesArgumentCountsOfAnyWidth() {
    #expect(encode([]) == Array("*0\r\n".utf8))
    let ten = [RESPArgument](repeating: .staticString("a"), count: 10)
    #expect(encode(ten) == Array(("*10\r\n" + String(repeating: "$1\r\na\r\n", count: 10)).utf8))
}

/// Appending keeps what the buffer already held, so commands pipeline into one outbox.
@Test func appendsAfterExistingBytes() {
    var buffer = Array("*1\r\n$4\r\nPING\r\n".utf8)
    RESPEncoder.appendCommand([.staticString("GET"), .string("k")], to: &buffer)
    RESPEncoder.appendCommand([.staticString("PING")], to: &buffer)
    #expect(buffer == Array("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n".utf8))
}

private func randomArgument(using generator: inout SeededGenerator) -> RESPArgument {
    let length = [0, 1, 9, 10, 99, 100, 1000].randomElement(using: &generator) ?? 0
    let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
    switch Int.random(in: 0..<5, using: &generator) {
    case 0: return .bytes(bytes)
    case 1: return .slice(([0x78] + bytes + [0x79])[1..<length + 1])
    case 2: return .string(String(repeating: "é", count: length / 2))
    case 3: return .staticString("XADD")
    default:
        return .integer(
            Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0..<64, using: &generator))
    }
}

private func payload(of argument: RESPArgument) -> [UInt8] {
    switch argument {
    case .bytes(let bytes): return bytes
    case .slice(let slice): return Array(slice)
    case .string(let string): return Array(string.utf8)
    case .staticString(let string): return string.withUTF8Buffer { Array($0) }
    case .integer(let integer): return Array("\(integer)".utf8)
    }
}

/// For random argument lists, `encodedLength` is exactly the number of bytes appended, and the bytes decode back
/// to an array of the arguments as bulk strings.
@Test func encodedLengthMatchesAndRoundTripsForRandomArguments() throws {
    var generator = SeededGenerator(seed: 42)
    var decoder = RESPDecoder()
    for _ in 0..<2_000 {
        let count = Int.random(in: 0..<14, using: &generator)
        let arguments = (0..<count).map { _ in randomArgument(using: &generator) }
        var buffer = [UInt8](repeating: 0x2E, count: Int.random(in: 0..<3, using: &generator))
        let before = buffer.count
        RESPEncoder.appendCommand(arguments, to: &buffer)
        #expect(buffer.count - before == RESPEncoder.encodedLength(of: arguments))
        decoder.feed(Array(buffer[before...]))
        #expect(try decoder.next() == .array(arguments.map { .bulkString(payload(of: $0)) }))
    }
}
