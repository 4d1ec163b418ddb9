/// Decodes a chunked body (RFC 9112 §7.1) as it streams through, consuming framing bytes as soon as they are
/// validated, so nothing but payload ever has to stay buffered.
///
/// Strict on every framing byte: chunk sizes are bare hex digits with no whitespace and no overflow, extensions must
/// be well-formed `;name[=token|quoted-string]` (then ignored), chunk data must be followed by exactly CRLF, and
/// trailers obey the same rules and limits as header fields (then are discarded). A lenient chunk parser is the
/// other half of most request-smuggling reports, since a front proxy that reads these bytes differently forwards a
/// different body.
struct ChunkedBodyDecoder {
    /// Longest chunk-size line (size plus extensions, without CRLF). Extensions are ignored, so a longer line can
    /// only be a client spending our CPU on bytes that no body limit would otherwise count.
    static let maxSizeLineBytes = 4096

    enum Step {
        case data(Range<Int>, consumed: Int)
        case needMore(consumed: Int)
        case end(consumed: Int)
    }

    private enum State {
        case sizeStart, size
        case extensionNameStart, extensionName, extensionValueStart, extensionToken
        case extensionQuoted, extensionQuotedPair, extensionAfterQuoted
        case sizeLineFeed
        case data, dataCarriageReturn, dataLineFeed
        case trailers
    }

    private var state = State.sizeStart
    private var chunkSize = 0
    private var sizeLineBytes = 0
    private var remainingInChunk = 0
    private var decodedBytes = 0
    private var trailers: FieldSectionScanner
    private let classes = ByteClass.shared
    private let limits: HTTPParserLimits

    init(limits: HTTPParserLimits) {
        self.limits = limits
        trailers = FieldSectionScanner(startingAt: 0, limits: limits)
    }

    /// Decodes from the start of `input`. Every byte up to the returned `consumed` has been used; payload is handed
    /// out as a range of `input` before the bytes after it are looked at.
    mutating func decode(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> Step {
        let count = input.count
        var i = 0
        while i < count {
            switch state {
            case .data:
                let length = min(remainingInChunk, count - i)
                remainingInChunk -= length
                if remainingInChunk == 0 { state = .dataCarriageReturn }
                return .data(i..<(i + length), consumed: i + length)

            case .dataCarriageReturn:
                guard input[i] == ByteClass.cr else { throw .missingChunkDataCRLF }
                state = .dataLineFeed
                i += 1

            case .dataLineFeed:
                guard input[i] == ByteClass.lf else { throw .missingChunkDataCRLF }
                state = .sizeStart
                i += 1

            case .sizeLineFeed:
                guard input[i] == ByteClass.lf else { throw .bareCarriageReturn }
                i += 1
                try finishSizeLine(at: i)

            case .trailers:
                let step = try trailers.scan(input, from: &i)
                if case .sectionEnd = step {
                    return .end(consumed: i)
                }

            default:
                try sizeLineByte(input[i])
                i += 1
            }
        }
        if state == .trailers { trailers.rebase(by: i) }
        return .needMore(consumed: i)
    }

    private mutating func finishSizeLine(at index: Int) throws(HTTPParseError) {
        sizeLineBytes = 0
        if chunkSize == 0 {
            trailers = FieldSectionScanner(startingAt: index, limits: limits)
            state = .trailers
            return
        }
        // Refused before any byte of the chunk is read.
        guard chunkSize <= limits.maxBodyBytes - decodedBytes else { throw .bodyTooLarge }
        decodedBytes += chunkSize
        remainingInChunk = chunkSize
        state = .data
    }

    /// One byte of a chunk-size line: `1*HEXDIG *( ";" token [ "=" ( token / quoted-string ) ] ) CRLF`.
    private mutating func sizeLineByte(_ byte: UInt8) throws(HTTPParseError) {
        sizeLineBytes += 1
        guard sizeLineBytes <= Self.maxSizeLineBytes || byte == ByteClass.cr else { throw .chunkLineTooLong }
        switch state {
        case .sizeStart:
            guard classes.isHexDigit(byte) else { throw byte == ByteClass.lf ? .bareLineFeed : .invalidChunkSize }
            chunkSize = ByteClass.hexValue(byte)
            state = .size
        case .size:
            if classes.isHexDigit(byte) {
                guard chunkSize <= Int.max >> 4 else { throw .chunkSizeOverflow }
                chunkSize = chunkSize << 4 | ByteClass.hexValue(byte)
            } else {
                try endOfElement(byte, orElse: .invalidChunkSize)
            }
        case .extensionNameStart:
            guard classes.isToken(byte) else {
                throw byte == ByteClass.lf ? .bareLineFeed : .invalidChunkExtension
            }
            state = .extensionName
        case .extensionName:
            if byte == UInt8(ascii: "=") {
                state = .extensionValueStart
            } else if !classes.isToken(byte) {
                try endOfElement(byte, orElse: .invalidChunkExtension)
            }
        case .extensionValueStart:
            if byte == UInt8(ascii: "\"") {
                state = .extensionQuoted
            } else if classes.isToken(byte) {
                state = .extensionToken
            } else {
                throw byte == ByteClass.lf ? .bareLineFeed : .invalidChunkExtension
            }
        case .extensionToken:
            if !classes.isToken(byte) {
                try endOfElement(byte, orElse: .invalidChunkExtension)
            }
        case .extensionQuoted:
            if byte == UInt8(ascii: "\"") {
                state = .extensionAfterQuoted
            } else if byte == UInt8(ascii: "\\") {
                state = .extensionQuotedPair
            } else if !classes.isQuotedText(byte) {
                throw .invalidChunkExtension
            }
        case .extensionQuotedPair:
            guard classes.isFieldValue(byte) else { throw .invalidChunkExtension }
            state = .extensionQuoted
        case .extensionAfterQuoted:
            try endOfElement(byte, orElse: .invalidChunkExtension)
        default:
            preconditionFailure("not a chunk-size line state")
        }
    }

    /// After the size or an extension: another extension, or the end of the line. Nothing else, not even
    /// whitespace, which llhttp also refuses by default.
    private mutating func endOfElement(_ byte: UInt8, orElse error: HTTPParseError) throws(HTTPParseError) {
        switch byte {
        case UInt8(ascii: ";"):
            state = .extensionNameStart
        case ByteClass.cr:
            state = .sizeLineFeed
        case ByteClass.lf:
            throw .bareLineFeed
        default:
            throw error
        }
    }
}
