/// Resumable scanner for a field section (the header lines of a head, or the trailers of a chunked body), with
/// RFC 9112's rules and none of the lenient ones.
///
/// It stops after every complete field line so the caller can record or inspect it, and it keeps its place between
/// calls, so bytes arriving one at a time are each looked at once. Positions are indices into the caller's current
/// input; a caller that drops bytes it has already scanned (the trailer decoder) calls `rebase(by:)`.
///
/// Refused, each because two parsers could disagree on where a field or the message ends: a bare CR or LF, a line
/// starting with SP/HTAB (obs-fold, or whitespace before the first field), a line without a colon, whitespace
/// between name and colon (mfsa2006-33), an empty name or a non-token name character, and control characters or
/// DEL in a value.
struct FieldSectionScanner {
    enum Step {
        /// A field line is complete; `nameStart..<nameEnd` and `valueStart..<valueEnd` locate it.
        case field
        /// The empty line ending the section has been read; the index points past its LF.
        case sectionEnd
        /// The index reached the end of the input.
        case needMore
    }

    private enum State {
        case lineStart, name, beforeValue, value, lineFeed, sectionFeed
    }

    private var state = State.lineStart
    /// The first index at which a field-line byte would exceed `maxHeaderBytes`. The CRLF of the empty line that
    /// ends the section is not counted, so a section of exactly `maxHeaderBytes` passes.
    private var byteLimitIndex: Int
    private var fieldCount = 0
    private let maxFieldCount: Int
    private let classes = ByteClass.shared

    private(set) var nameStart = 0
    private(set) var nameEnd = 0
    private(set) var valueStart = 0
    /// One past the last byte of the value that is not SP/HTAB, which trims trailing OWS without looking back.
    private(set) var valueEnd = 0

    init(startingAt index: Int, limits: HTTPParserLimits) {
        byteLimitIndex = index + limits.maxHeaderBytes
        maxFieldCount = limits.maxHeaderCount
    }

    /// Shifts every stored position after the caller dropped `consumed` bytes from the front of its input.
    mutating func rebase(by consumed: Int) {
        byteLimitIndex -= consumed
        nameStart -= consumed
        nameEnd -= consumed
        valueStart -= consumed
        valueEnd -= consumed
    }

    /// Scans from `index` until a field line or the section ends, the input runs out, or a rule is broken.
    ///
    /// The states are ordered as a line is read and each one falls through into the next, so a line that is all
    /// there is read straight through: dispatching on the state for every part of every line was the costliest
    /// branch misprediction in the head parser.
    mutating func scan(_ input: UnsafeRawBufferPointer, from index: inout Int) throws(HTTPParseError) -> Step {
        let count = input.count
        var i = index
        defer { index = i }
        while i < count {
            switch state {
            case .lineStart:
                let byte = input[i]
                if byte == ByteClass.cr {
                    state = .sectionFeed
                    i += 1
                    continue
                }
                guard i < byteLimitIndex else { throw .headerSectionTooLarge }
                guard classes.isToken(byte) else { throw Self.lineStartError(byte) }
                guard fieldCount < maxFieldCount else { throw .tooManyHeaders }
                fieldCount += 1
                nameStart = i
                i += 1
                state = .name
                fallthrough

            case .name:
                let end = min(count, byteLimitIndex)
                while i < end && classes.isToken(input[i]) { i += 1 }
                guard i < count else { return .needMore }
                guard i < byteLimitIndex else { throw .headerSectionTooLarge }
                guard input[i] == ByteClass.colon else { throw Self.nameError(input[i]) }
                nameEnd = i
                i += 1
                state = .beforeValue
                fallthrough

            case .beforeValue:
                let end = min(count, byteLimitIndex)
                while i < end && (input[i] == ByteClass.sp || input[i] == ByteClass.htab) { i += 1 }
                guard i < count else { return .needMore }
                guard i < byteLimitIndex else { throw .headerSectionTooLarge }
                valueStart = i
                valueEnd = i
                state = .value
                fallthrough

            case .value:
                let end = min(count, byteLimitIndex)
                var last = valueEnd
                while i < end {
                    let byte = input[i]
                    guard classes.isFieldValue(byte) else { break }
                    // Every field-value byte above SP is content; SP and HTAB are the only ones below it.
                    if byte > ByteClass.sp { last = i + 1 }
                    i += 1
                }
                valueEnd = last
                guard i < count else { return .needMore }
                guard i < byteLimitIndex else { throw .headerSectionTooLarge }
                guard input[i] == ByteClass.cr else {
                    throw input[i] == ByteClass.lf ? .bareLineFeed : .invalidHeaderValueCharacter
                }
                i += 1
                state = .lineFeed
                fallthrough

            case .lineFeed:
                guard i < count else { return .needMore }
                guard i < byteLimitIndex else { throw .headerSectionTooLarge }
                guard input[i] == ByteClass.lf else { throw .bareCarriageReturn }
                i += 1
                state = .lineStart
                return .field

            case .sectionFeed:
                guard input[i] == ByteClass.lf else { throw .bareCarriageReturn }
                i += 1
                state = .lineStart
                return .sectionEnd
            }
        }
        return .needMore
    }

    private static func lineStartError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.lf: .bareLineFeed
        case ByteClass.sp, ByteClass.htab: .obsoleteLineFolding
        case ByteClass.colon: .emptyHeaderName
        default: .invalidHeaderNameCharacter
        }
    }

    private static func nameError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.sp, ByteClass.htab: .whitespaceBeforeColon
        case ByteClass.cr, ByteClass.lf: .headerWithoutColon
        default: .invalidHeaderNameCharacter
        }
    }
}
