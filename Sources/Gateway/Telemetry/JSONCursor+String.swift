/// A string in the body: the offsets of its quotes, and whether it needs unescaping before its value can be used.
struct JSONStringToken {
    /// Offset of the opening quote.
    var start: Int
    /// Offset just past the closing quote, so `start..<end` is the lexeme as sent.
    var end: Int
    var hasEscapes: Bool

    /// The bytes between the quotes, still escaped.
    var content: Range<Int> { (start + 1)..<(end - 1) }
}

extension JSONCursor {
    /// Reads the string starting at the opening quote under the cursor, checking escapes, surrogate pairs, raw
    /// control characters and UTF-8 well-formedness (RFC 3629: no overlongs, no UTF-16 surrogates, nothing past
    /// U+10FFFF), so that every later use of the token can trust its bytes.
    mutating func scanString() throws(ParseFailure) -> JSONStringToken {
        let start = offset
        offset += 1
        var hasEscapes = false
        while true {
            skipPlainASCII()
            guard offset < bytes.count else { throw .syntax(.unexpectedEnd, at: bytes.count) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return JSONStringToken(start: start, end: offset, hasEscapes: hasEscapes)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw .syntax(.controlCharacter, at: offset)
            } else {
                try scanMultibyteScalar(lead: byte)
            }
        }
    }

    /// Steps over printable ASCII other than `"` and `\`, which is nearly every byte of real telemetry strings,
    /// eight bytes per step while eight remain. Stops on the first byte that is not, or at the end.
    // Forced inline: as a call it added about 300 instructions (4%) to decoding a typical event (callgrind).
    @inline(__always)
    mutating func skipPlainASCII() {
        if let base = bytes.baseAddress {
            while offset + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
                let attention = JSONCursor.attentionMask(word)
                if attention != 0 {
                    offset += attention.trailingZeroBitCount >> 3
                    return
                }
                offset += 8
            }
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            let isPlain = byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
            guard isPlain else { return }
            offset += 1
        }
    }

    /// For eight bytes loaded little-endian, a word whose lowest set bit lies in the first byte that is a quote, a
    /// backslash, a control character or not ASCII; zero when there is none. These are the classic "has zero byte"
    /// and "has byte less than" tricks: their false positives only ever sit above a true one, so the lowest set bit
    /// is exact.
    private static func attentionMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let zeroInQuotes = (quotes &- ones) & ~quotes
        let zeroInBackslashes = (backslashes &- ones) & ~backslashes
        let belowSpace = (word &- ones &* 0x20) & ~word
        return (word | zeroInQuotes | zeroInBackslashes | belowSpace) & highBits
    }

    /// One escape at the backslash under the cursor. Errors point at the backslash that begins the bad escape.
    private mutating func scanEscape() throws(ParseFailure) {
        let escapeStart = offset
        guard offset + 1 < bytes.count else { throw .syntax(.unexpectedEnd, at: bytes.count) }
        switch bytes[offset + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            offset += 2
        case UInt8(ascii: "u"):
            let unit = try hexUnit(at: offset + 2, escapeStart: escapeStart)
            offset += 6
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate is only a character together with the low surrogate escaped right after it.
                guard offset + 1 < bytes.count else { throw .syntax(.unexpectedEnd, at: bytes.count) }
                guard bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw .syntax(.unpairedSurrogate, at: escapeStart)
                }
                let low = try hexUnit(at: offset + 2, escapeStart: offset)
                guard (0xDC00...0xDFFF).contains(low) else { throw .syntax(.unpairedSurrogate, at: escapeStart) }
                offset += 6
            case 0xDC00...0xDFFF:
                throw .syntax(.unpairedSurrogate, at: escapeStart)
            default:
                break
            }
        default:
            throw .syntax(.invalidEscape, at: escapeStart)
        }
    }

    /// The four hex digits of a `\u` escape starting at `position`.
    private func hexUnit(at position: Int, escapeStart: Int) throws(ParseFailure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw .syntax(.unexpectedEnd, at: bytes.count) }
        var unit: UInt32 = 0
        for index in position..<(position + 4) {
            guard let digit = JSONCursor.hexValue(bytes[index]) else {
                throw .syntax(.invalidUnicodeEscape, at: escapeStart)
            }
            unit = unit << 4 | digit
        }
        return unit
    }

    /// One UTF-8 sequence of two to four bytes, following the table of well-formed sequences in Unicode §3.9
    /// (Table 3-7): the narrowed second-byte ranges after E0, ED, F0 and F4 are what exclude overlongs, surrogates
    /// and code points above U+10FFFF. Errors point at the lead byte.
    private mutating func scanMultibyteScalar(lead: UInt8) throws(ParseFailure) {
        let continuationCount: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF:
            continuationCount = 1
        case 0xE0:
            continuationCount = 2
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF:
            continuationCount = 2
        case 0xED:
            continuationCount = 2
            secondRange = 0x80...0x9F
        case 0xF0:
            continuationCount = 3
            secondRange = 0x90...0xBF
        case 0xF1...0xF3:
            continuationCount = 3
        case 0xF4:
            continuationCount = 3
            secondRange = 0x80...0x8F
        default:
            throw .syntax(.invalidUTF8, at: offset)
        }
        let leadOffset = offset
        for index in 1...continuationCount {
            guard leadOffset + index < bytes.count else { throw .syntax(.unexpectedEnd, at: bytes.count) }
            let byte = bytes[leadOffset + index]
            let allowed = index == 1 ? secondRange : 0x80...0xBF
            guard allowed.contains(byte) else { throw .syntax(.invalidUTF8, at: leadOffset) }
        }
        offset = leadOffset + 1 + continuationCount
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }
}
