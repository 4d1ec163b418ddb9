import RespClient
import Testing

/// `string` gives the text of simple, bulk and verbatim strings, decoding bytes as UTF-8.
@Test func stringReadsTextualReplies() {
    #expect(RESPValue.simpleString("OK").string == "OK")
    #expect(RESPValue.bulkString(Array("grüße".utf8)).string == "grüße")
    #expect(RESPValue.verbatimString(format: "txt", text: Array("hi".utf8)).string == "hi")
}

/// `string` is nil for replies that are not text, errors included, so an error is never mistaken for a value.
@Test func stringIsNilForOtherReplies() {
    let others: [RESPValue] = [
        .error("ERR x"), .integer(1), .null, .array([.simpleString("a")]), .boolean(true), .double(1),
        .bigNumber("1"), .map([]), .set([]), .push([]), .attributed([], .simpleString("a")),
    ]
    for value in others {
        #expect(value.string == nil, "\(value)")
    }
}

/// `string` replaces invalid UTF-8 instead of failing, so a binary bulk string still prints.
@Test func stringRepairsInvalidUTF8() {
    #expect(RESPValue.bulkString([0x61, 0xFF]).string == "a\u{FFFD}")
}
