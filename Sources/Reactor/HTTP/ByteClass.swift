/// Byte classes of RFC 9110/9112 grammar as one 256-entry table, so every hot loop asks "may this byte appear here?"
/// with a single load instead of a chain of range comparisons.
///
/// The table is computed once from the grammar rules below rather than written out as a literal, which keeps it
/// readable and keeps the type checker fast. Scanners hold their own reference to `shared`: reaching a lazily
/// initialised global from inside a per-byte loop costs a `swift_once` check per byte, which measured as a third of
/// the head parsing time.
struct ByteClass: Sendable {
    /// `tchar`: method names, header names, transfer codings and chunk-extension names.
    static let token: UInt8 = 1 << 0
    /// `field-vchar / SP / HTAB`: what may appear inside a header value (obs-text included, controls and DEL not).
    static let fieldValue: UInt8 = 1 << 1
    /// Visible ASCII: what may appear in a request-target. Everything else (controls, SP, DEL, non-ASCII) must be
    /// percent-encoded by the client, and accepting it raw would let two parsers disagree on where the target ends.
    static let target: UInt8 = 1 << 2
    /// `qdtext`: the unescaped characters of a quoted chunk-extension value.
    static let quotedText: UInt8 = 1 << 3
    /// `HEXDIG`, in either case, for chunk sizes.
    static let hexDigit: UInt8 = 1 << 4

    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let sp = UInt8(ascii: " ")
    static let htab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")

    static let shared = ByteClass()

    private let table: [UInt8]

    private init() {
        table = (0...255).map { Self.classify(UInt8($0)) }
    }

    private static func classify(_ byte: UInt8) -> UInt8 {
        var classes: UInt8 = 0
        let isDigit = (0x30...0x39).contains(byte)
        let isAlpha = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        let isVisible = (0x21...0x7E).contains(byte)
        let isObsText = byte >= 0x80
        if isDigit || isAlpha || "!#$%&'*+-.^_`|~".utf8.contains(byte) {
            classes |= token
        }
        if isVisible || isObsText || byte == sp || byte == htab {
            classes |= fieldValue
        }
        if isVisible {
            classes |= target
        }
        if (isVisible && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")) || isObsText || byte == sp
            || byte == htab
        {
            classes |= quotedText
        }
        if isDigit || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) {
            classes |= hexDigit
        }
        return classes
    }

    func isToken(_ byte: UInt8) -> Bool { table[Int(byte)] & Self.token != 0 }

    func isFieldValue(_ byte: UInt8) -> Bool { table[Int(byte)] & Self.fieldValue != 0 }

    func isTarget(_ byte: UInt8) -> Bool { table[Int(byte)] & Self.target != 0 }

    func isQuotedText(_ byte: UInt8) -> Bool { table[Int(byte)] & Self.quotedText != 0 }

    func isHexDigit(_ byte: UInt8) -> Bool { table[Int(byte)] & Self.hexDigit != 0 }

    /// The value of a byte already known to be a hex digit.
    static func hexValue(_ byte: UInt8) -> Int {
        byte <= 0x39 ? Int(byte &- 0x30) : Int((byte | 0x20) &- 0x61 &+ 10)
    }

    /// Exact byte equality with a literal, for case-sensitive tokens such as method names and paths.
    static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] {
            return false
        }
        return true
    }
}
