import RespClient
import TestSupport
import Testing

/// An input and the replies it must decode to, however it is split.
struct DecoderCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var expected: [RESPValue]

    init(_ name: String, _ input: String, _ expected: RESPValue...) {
        self.name = name
        self.input = Array(resp: input)
        self.expected = expected
    }

    init(_ name: String, bytes: [UInt8], _ expected: RESPValue...) {
        self.name = name
        self.input = bytes
        self.expected = expected
    }

    var testDescription: String { name }
}

/// An input that must be refused, and the reason it must be refused for.
struct RejectionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var reason: String
    var limits = RESPDecoderLimits()

    init(_ name: String, _ input: String, _ reason: String, limits: RESPDecoderLimits = .init()) {
        self.name = name
        self.input = Array(resp: input)
        self.reason = reason
        self.limits = limits
    }

    var testDescription: String { name }
}

private func bulk(_ text: String) -> RESPValue {
    .bulkString(Array(text.utf8))
}

private func pair(_ key: RESPValue, _ value: RESPValue) -> RESPPair {
    RESPPair(key: key, value: value)
}

private let binaryBody: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x24, 0x0D, 0x0A, 0x2A]

private let decoderCases: [DecoderCase] = [
    DecoderCase("simple string", "+OK\r\n", .simpleString("OK")),
    DecoderCase("empty simple string", "+\r\n", .simpleString("")),
    DecoderCase("simple error", "-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
    DecoderCase("zero", ":0\r\n", .integer(0)),
    DecoderCase("negative integer", ":-42\r\n", .integer(-42)),
    DecoderCase("LLONG_MAX", ":9223372036854775807\r\n", .integer(.max)),
    DecoderCase("LLONG_MIN", ":-9223372036854775808\r\n", .integer(.min)),
    DecoderCase("bulk string", "$5\r\nhello\r\n", bulk("hello")),
    DecoderCase("XADD reply", "$15\r\n1701234567890-0\r\n", bulk("1701234567890-0")),
    DecoderCase("empty bulk string", "$0\r\n\r\n", .bulkString([])),
    DecoderCase(
        "binary bulk string holding CRLF",
        bytes: Array(resp: "$8\r\n") + binaryBody + Array(resp: "\r\n"),
        .bulkString(binaryBody)
    ),
    DecoderCase("RESP2 null bulk string", "$-1\r\n", .null),
    DecoderCase("RESP2 null array", "*-1\r\n", .null),
    DecoderCase("RESP3 null", "_\r\n", .null),
    DecoderCase("nulls in every form inside an array", "*3\r\n$-1\r\n*-1\r\n_\r\n", .array([.null, .null, .null])),
    DecoderCase(
        "array", "*3\r\n$3\r\nfoo\r\n:1\r\n+bar\r\n", .array([bulk("foo"), .integer(1), .simpleString("bar")])),
    DecoderCase("empty array", "*0\r\n", .array([])),
    DecoderCase(
        "nested arrays",
        "*2\r\n*2\r\n:1\r\n*0\r\n*1\r\n$1\r\nx\r\n",
        .array([.array([.integer(1), .array([])]), .array([bulk("x")])])
    ),
    DecoderCase("true", "#t\r\n", .boolean(true)),
    DecoderCase("false", "#f\r\n", .boolean(false)),
    DecoderCase("double", ",1.5\r\n", .double(1.5)),
    DecoderCase("double with exponent", ",1e10\r\n", .double(1e10)),
    DecoderCase("double with signed exponent and sign", ",-1.25E-3\r\n", .double(-1.25e-3)),
    DecoderCase("double with plus sign", ",+2.5\r\n", .double(2.5)),
    DecoderCase("integral double", ",3\r\n", .double(3)),
    DecoderCase("positive infinity", ",inf\r\n", .double(.infinity)),
    DecoderCase("negative infinity", ",-inf\r\n", .double(-.infinity)),
    DecoderCase("infinity in capitals", ",INF\r\n", .double(.infinity)),
    DecoderCase(
        "big number", "(3492890328409238509324850943850943825024385\r\n",
        .bigNumber("3492890328409238509324850943850943825024385")),
    DecoderCase("negative big number", "(-12345678901234567890\r\n", .bigNumber("-12345678901234567890")),
    DecoderCase(
        "verbatim string", "=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", text: Array("Some string".utf8))
    ),
    DecoderCase("empty verbatim string", "=4\r\nmkd:\r\n", .verbatimString(format: "mkd", text: [])),
    DecoderCase("blob error", "!21\r\nSYNTAX invalid syntax\r\n", .error("SYNTAX invalid syntax")),
    DecoderCase("empty blob error", "!0\r\n\r\n", .error("")),
    DecoderCase(
        "map",
        "%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n:2\r\n",
        .map([pair(.simpleString("first"), .integer(1)), pair(.simpleString("second"), .array([.integer(2)]))])
    ),
    DecoderCase("empty map", "%0\r\n", .map([])),
    DecoderCase("set", "~3\r\n+a\r\n:1\r\n#f\r\n", .set([.simpleString("a"), .integer(1), .boolean(false)])),
    DecoderCase("empty set", "~0\r\n", .set([])),
    DecoderCase(
        "push",
        ">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n",
        .push([bulk("message"), bulk("chan"), bulk("hi")])
    ),
    DecoderCase("empty push", ">0\r\n", .push([])),
    DecoderCase(
        "attribute before an array",
        "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
        .attributed(
            [
                pair(
                    .simpleString("key-popularity"),
                    .map([pair(bulk("a"), .double(0.1923)), pair(bulk("b"), .double(0.0012))])
                )
            ],
            .array([.integer(2_039_123), .integer(9_543_892)])
        )
    ),
    DecoderCase(
        "attribute on an array element",
        "*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n",
        .array([.attributed([pair(.simpleString("ttl"), .integer(3600))], .integer(1)), .integer(2)])
    ),
    DecoderCase("empty attribute", "|0\r\n+OK\r\n", .attributed([], .simpleString("OK"))),
    DecoderCase(
        "many replies in one buffer",
        "+OK\r\n:1\r\n$3\r\nabc\r\n*1\r\n_\r\n%0\r\n",
        .simpleString("OK"), .integer(1), bulk("abc"), .array([.null]), .map([])
    ),
]

private let rejectionCases: [RejectionCase] = [
    RejectionCase("unknown type byte", "?x\r\n", "unexpected reply type byte '?'"),
    RejectionCase("NUL as type byte", "\0\r\n", "unexpected reply type byte 0x0"),
    RejectionCase("unknown type after a good reply", "+OK\r\n@\r\n", "unexpected reply type byte '@'"),
    RejectionCase("empty integer", ":\r\n", "bad integer value"),
    RejectionCase("integer with plus", ":+1\r\n", "bad integer value"),
    RejectionCase("integer with leading space", ": 1\r\n", "bad integer value"),
    RejectionCase("integer with trailing space", ":1 \r\n", "bad integer value"),
    RejectionCase("integer with leading zero", ":01\r\n", "bad integer value"),
    RejectionCase("negative zero", ":-0\r\n", "bad integer value"),
    RejectionCase("lone minus", ":-\r\n", "bad integer value"),
    RejectionCase("integer with letters", ":12a\r\n", "bad integer value"),
    RejectionCase("LLONG_MAX + 1", ":9223372036854775808\r\n", "bad integer value"),
    RejectionCase("LLONG_MIN - 1", ":-9223372036854775809\r\n", "bad integer value"),
    RejectionCase("integer past UInt64", ":99999999999999999999999\r\n", "bad integer value"),
    RejectionCase("bulk length below -1", "$-2\r\n", "length out of range"),
    RejectionCase("element count below -1", "*-2\r\n", "length out of range"),
    RejectionCase("map count below -1", "%-5\r\n", "length out of range"),
    RejectionCase("bulk length not a number", "$abc\r\n", "bad length"),
    RejectionCase("empty bulk length", "$\r\n", "bad length"),
    RejectionCase("streamed bulk string", "$?\r\n", "bad length"),
    RejectionCase("bulk length past Int64", "$9223372036854775808\r\n", "bad length"),
    RejectionCase("null map", "%-1\r\n", "length -1 is only a null for '$' and '*'"),
    RejectionCase("null set", "~-1\r\n", "length -1 is only a null for '$' and '*'"),
    RejectionCase("null push", ">-1\r\n", "length -1 is only a null for '$' and '*'"),
    RejectionCase("null attribute", "|-1\r\n", "length -1 is only a null for '$' and '*'"),
    RejectionCase("null blob error", "!-1\r\n", "length -1 is only a null for '$' and '*'"),
    RejectionCase("null verbatim string", "=-1\r\n", "length -1 is only a null for '$' and '*'"),
    RejectionCase("bulk longer than its length", "$3\r\nabcd\r\n", "blob not followed by CRLF"),
    RejectionCase("bulk followed by LF CR", "$3\r\nabc\n\r", "blob not followed by CRLF"),
    RejectionCase("CR followed by another byte", "+OK\rX\n", "CR not followed by LF"),
    RejectionCase("CR CR LF", ":1\r\r\n", "CR not followed by LF"),
    RejectionCase("bare LF", "+OK\n", "LF without a preceding CR"),
    RejectionCase("bare LF inside a simple string", "+O\nK\r\n", "LF without a preceding CR"),
    RejectionCase("boolean other than t or f", "#x\r\n", "bad boolean value"),
    RejectionCase("capital boolean", "#T\r\n", "bad boolean value"),
    RejectionCase("empty boolean", "#\r\n", "bad boolean value"),
    RejectionCase("long boolean", "#tt\r\n", "bad boolean value"),
    RejectionCase("empty double", ",\r\n", "bad double value"),
    RejectionCase("double of letters", ",abc\r\n", "bad double value"),
    RejectionCase("double ending in a point", ",1.\r\n", "bad double value"),
    RejectionCase("double starting with a point", ",.5\r\n", "bad double value"),
    RejectionCase("double with empty exponent", ",1e\r\n", "bad double value"),
    RejectionCase("double overflowing to infinity", ",1e400\r\n", "bad double value"),
    RejectionCase("infinity spelled out", ",infinity\r\n", "bad double value"),
    RejectionCase("hex double", ",0x1p3\r\n", "bad double value"),
    RejectionCase("double with a space", ", 1\r\n", "bad double value"),
    RejectionCase("double with trailing garbage", ",1.5x\r\n", "bad double value"),
    RejectionCase("null with content", "_x\r\n", "null with content"),
    RejectionCase("empty big number", "(\r\n", "bad big number value"),
    RejectionCase("big number of a minus only", "(-\r\n", "bad big number value"),
    RejectionCase("big number with letters", "(12a\r\n", "bad big number value"),
    RejectionCase("big number with plus", "(+1\r\n", "bad big number value"),
    RejectionCase(
        "verbatim string shorter than its format", "=3\r\ntxt\r\n", "verbatim string without a 3-byte format and ':'"),
    RejectionCase(
        "verbatim string without colon", "=5\r\ntxt-a\r\n", "verbatim string without a 3-byte format and ':'"),
    RejectionCase(
        "bulk over the limit", "$5\r\nhello\r\n", "blob longer than the limit", limits: .init(maxBulkBytes: 4)),
    RejectionCase(
        "blob error over the limit", "!5\r\nERR x\r\n", "blob longer than the limit", limits: .init(maxBulkBytes: 4)),
    RejectionCase(
        "array over the element limit", "*3\r\n:1\r\n:2\r\n:3\r\n", "aggregate has more elements than the limit",
        limits: .init(maxElements: 2)),
    RejectionCase(
        "map over the element limit", "%3\r\n", "aggregate has more elements than the limit",
        limits: .init(maxElements: 2)),
    RejectionCase(
        "attribute over the element limit", "|3\r\n", "aggregate has more elements than the limit",
        limits: .init(maxElements: 2)),
    RejectionCase("line over the limit", "+hello\r\n", "line longer than the limit", limits: .init(maxLineBytes: 4)),
    RejectionCase(
        "unterminated line over the limit", "-ERRORS", "line longer than the limit", limits: .init(maxLineBytes: 4)),
    RejectionCase(
        "bare LF past the line limit", "+abcdef\n", "line longer than the limit", limits: .init(maxLineBytes: 4)),
    RejectionCase(
        "length line over the limit", "$00005\r\n", "line longer than the limit", limits: .init(maxLineBytes: 4)),
]

/// Every RESP2 and RESP3 type decodes to its exact value whether the input arrives whole, split in two at any byte,
/// or one byte at a time, and leaves nothing buffered.
@Test(arguments: decoderCases)
func decodesEveryTypeHoweverSplit(_ testCase: DecoderCase) {
    for feeding in Feeding.everyWay(testCase.input) {
        let outcome = feeding.decode()
        #expect(outcome.replies == testCase.expected, "\(feeding.label)")
        #expect(outcome.error == nil, "\(feeding.label)")
        #expect(outcome.bufferedByteCount == 0, "\(feeding.label)")
    }
}

/// Malformed input and broken limits are refused with the rule they break, at whatever byte the input is split.
@Test(arguments: rejectionCases)
func rejectsMalformedInputHoweverSplit(_ testCase: RejectionCase) {
    for feeding in Feeding.everyWay(testCase.input) {
        let outcome = feeding.decode(limits: testCase.limits)
        #expect(outcome.error?.reason == testCase.reason, "\(feeding.label)")
    }
}

/// The limits are inclusive: a bulk string, an aggregate and a line exactly at their limits decode.
@Test func acceptsValuesExactlyAtTheLimits() throws {
    let limits = RESPDecoderLimits(maxElements: 2, maxBulkBytes: 4, maxLineBytes: 4)
    let input = Array(resp: "$4\r\nhell\r\n*2\r\n:1\r\n:2\r\n+four\r\n%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n")
    for feeding in Feeding.everyWay(input) {
        let outcome = feeding.decode(limits: limits)
        #expect(outcome.error == nil, "\(feeding.label)")
        #expect(outcome.replies.count == 4, "\(feeding.label)")
    }
}

/// A NaN double decodes to NaN, in every accepted spelling; `==` cannot show it, so `isNaN` does.
@Test(arguments: ["nan", "NaN", "-nan", "NAN"])
func decodesNaN(_ spelling: String) throws {
    for feeding in Feeding.everyWay(Array(resp: ",\(spelling)\r\n")) {
        let outcome = feeding.decode()
        guard case .double(let value)? = outcome.replies.first else {
            Issue.record("\(feeding.label): \(outcome)")
            continue
        }
        #expect(value.isNaN, "\(feeding.label)")
    }
}

/// `-0.0` keeps its sign, which `==` against `0.0` would not show.
@Test func decodesNegativeZeroWithItsSign() throws {
    var decoder = RESPDecoder()
    decoder.feed(Array(resp: ",-0.0\r\n"))
    let reply = try decoder.next()
    guard case .double(let value)? = reply else {
        Issue.record("got \(String(describing: reply))")
        return
    }
    #expect(value == 0 && value.sign == .minus)
}

/// A CRLF split across two feeds (hiredis "single newline covers two calls to feed") completes the reply.
@Test func completesAReplyWhoseCRLFSpansTwoFeeds() throws {
    var decoder = RESPDecoder()
    decoder.feed(Array(resp: "+OK\r"))
    #expect(try decoder.next() == nil)
    decoder.feed(Array(resp: "\n"))
    #expect(try decoder.next() == .simpleString("OK"))
    #expect(try decoder.next() == nil)
}

private func nestedArrays(depth: Int) -> (input: [UInt8], expected: RESPValue) {
    var input: [UInt8] = []
    for _ in 0..<depth { input += Array(resp: "*1\r\n") }
    input += Array(resp: ":1\r\n")
    var expected = RESPValue.integer(1)
    for _ in 0..<depth { expected = .array([expected]) }
    return (input, expected)
}

/// Aggregates nested exactly `maxDepth` deep decode (hiredis "maximum nesting depth").
@Test func decodesAggregatesAtTheMaximumDepth() throws {
    let depth = RESPDecoderLimits().maxDepth
    let (input, expected) = nestedArrays(depth: depth)
    var decoder = RESPDecoder()
    decoder.feed(input)
    #expect(try decoder.next() == expected)
}

/// One level past `maxDepth` is a protocol error, at any split.
@Test func rejectsAggregatesOnePastTheMaximumDepth() {
    let (input, _) = nestedArrays(depth: 9)
    for feeding in Feeding.everyWay(input) {
        let outcome = feeding.decode(limits: .init(maxDepth: 8))
        #expect(outcome.error?.reason == "aggregates nested deeper than the limit", "\(feeding.label)")
    }
    var decoder = RESPDecoder()
    decoder.feed(nestedArrays(depth: RESPDecoderLimits().maxDepth + 1).input)
    #expect(throws: RESPProtocolError.self) { try decoder.next() }
}

/// After a protocol error the decoder throws the same error forever and ignores new, valid input (hiredis "don't
/// reset state after protocol error").
@Test func protocolErrorIsSticky() throws {
    var decoder = RESPDecoder()
    decoder.feed(Array(resp: ":1\r\n?garbage\r\n"))
    #expect(try decoder.next() == .integer(1))
    let first = #expect(throws: RESPProtocolError.self) { try decoder.next() }
    decoder.feed(Array(resp: "+OK\r\n"))
    #expect(decoder.bufferedByteCount == 0)
    let second = #expect(throws: RESPProtocolError.self) { try decoder.next() }
    #expect(first == second)
    #expect(first?.reason == "unexpected reply type byte '?'")
}

/// A large array fed in pieces keeps the elements already decoded: the bytes behind them are consumed at once, so
/// nothing is parsed twice, and the array completes with every element in order.
@Test func keepsProgressOnAPartiallyReceivedArray() throws {
    let count = 10_000
    var elements: [[UInt8]] = []
    for index in 0..<count { elements.append(Array(resp: ":\(index)\r\n")) }
    var decoder = RESPDecoder()
    decoder.feed(Array(resp: "*\(count)\r\n"))
    #expect(try decoder.next() == nil)
    for (index, element) in elements.enumerated() {
        decoder.feed(element)
        if index < count - 1 {
            #expect(try decoder.next() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
    }
    #expect(try decoder.next() == .array((0..<count).map { .integer(Int64($0)) }))
}

/// A blob whose header has arrived waits for its body without holding the header, and a body split anywhere
/// completes it.
@Test func keepsProgressOnAPartiallyReceivedBulkString() throws {
    let body = [UInt8](repeating: 0x61, count: 100_000)
    var decoder = RESPDecoder()
    decoder.feed(Array(resp: "$100000\r\n"))
    #expect(try decoder.next() == nil)
    #expect(decoder.bufferedByteCount == 0)
    decoder.feed(Array(body[..<60_000]))
    #expect(try decoder.next() == nil)
    #expect(decoder.bufferedByteCount == 60_000)
    decoder.feed(Array(body[60_000...]) + Array(resp: "\r\n"))
    #expect(try decoder.next() == .bulkString(body))
    #expect(decoder.bufferedByteCount == 0)
}

/// A long pipeline of XADD replies fed in uneven chunks decodes every reply in order, across the buffer being
/// compacted and reset many times.
@Test func decodesALongPipelineFedInUnevenChunks() throws {
    var generator = SeededGenerator(seed: 7)
    let ids = (0..<20_000).map { "17012345\($0 + 10_000)-\($0 % 7)" }
    let stream = ids.flatMap { Array(resp: "$\($0.utf8.count)\r\n\($0)\r\n") }
    var decoder = RESPDecoder()
    var replies: [RESPValue] = []
    var offset = 0
    while offset < stream.count {
        let size = [1, 7, 300, 4099, 20_000].randomElement(using: &generator) ?? 1
        let end = min(stream.count, offset + size)
        decoder.feed(Array(stream[offset..<end]))
        offset = end
        while let reply = try decoder.next() { replies.append(reply) }
    }
    #expect(replies == ids.map { .bulkString(Array($0.utf8)) })
    #expect(decoder.bufferedByteCount == 0)
}

/// A reply that is still incomplete reports its unread bytes, and taking the complete replies before it consumes
/// exactly theirs.
@Test func bufferedByteCountTracksUnreadBytes() throws {
    var decoder = RESPDecoder()
    decoder.feed(Array(resp: "+OK\r\n:12"))
    #expect(decoder.bufferedByteCount == 8)
    #expect(try decoder.next() == .simpleString("OK"))
    #expect(decoder.bufferedByteCount == 3)
    #expect(try decoder.next() == nil)
    #expect(decoder.bufferedByteCount == 3)
    decoder.feed(Array(resp: "\r\n"))
    #expect(try decoder.next() == .integer(12))
    #expect(decoder.bufferedByteCount == 0)
}
