/// A read position in a request body, with the lexical rules of RFC 8259.
///
/// It reads the caller's bytes in place and never allocates: tokens are offsets into the body, and a string is only
/// unescaped when someone needs its value. Every method that fails throws `.syntax` with the offset of the byte that
/// proves the body is not JSON (or the body's length when it ends too early).
struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    /// Whitespace bytes stepped over so far. Subtracting two readings tells how much shorter a span of the body
    /// becomes once compacted, which lets the event encoder size its output exactly.
    private(set) var skippedWhitespace = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// The byte under the cursor, nil at the end of the body.
    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    // Called around every token (about forty times for a typical event); forcing these helpers inline took
    // 8% off the instructions per decoded event (callgrind, the spec sample).
    @inline(__always)
    mutating func skipWhitespace() {
        let begin = offset
        while offset < bytes.count && JSONCursor.isWhitespace(bytes[offset]) {
            offset += 1
        }
        skippedWhitespace += offset - begin
    }

    /// Steps over `byte`, or fails if something else (or nothing) is there.
    @inline(__always)
    mutating func consume(_ byte: UInt8) throws(ParseFailure) {
        guard current == byte else { throw unexpected() }
        offset += 1
    }

    /// Steps over `true`, `false` or `null`, failing at the first byte that differs.
    mutating func consumeLiteral(_ literal: StaticString) throws(ParseFailure) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in text {
            guard current == expected else { throw unexpected() }
            offset += 1
        }
    }

    /// The failure for whatever is under the cursor when it is not what the grammar allows there.
    func unexpected() -> ParseFailure {
        guard let byte = current else { return .syntax(.unexpectedEnd, at: bytes.count) }
        return .syntax(.unexpectedByte(byte), at: offset)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// True for the bytes that can begin a number: a digit or a minus sign.
    static func startsNumber(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: "-")
    }
}
