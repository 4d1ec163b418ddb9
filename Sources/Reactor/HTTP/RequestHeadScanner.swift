/// Scans one request head, resuming across calls where it stopped.
///
/// While a head is incomplete the connection keeps presenting the same bytes plus whatever arrived since, so every
/// position recorded here stays valid and each byte is examined once: a peer trickling a 16 KiB head one byte at a
/// time costs O(n), not O(n²) (picohttpparser's slowloris countermeasure, taken further).
struct RequestHeadScanner {
    /// Empty lines tolerated before a request line (RFC 9112 §2.2). Enough for the stray CRLF some clients send
    /// after a body; few enough that a peer cannot idle forever on bytes no limit counts.
    static let maxLeadingEmptyLines = 4

    private enum State {
        case emptyLineStart, emptyLineFeed, method, targetStart, target, version, requestLineFeed, fields
    }

    private var state = State.emptyLineStart
    /// The next byte to examine; everything before it has been validated.
    private(set) var scannedBytes = 0
    private var emptyLines = 0
    /// Where the request line starts; the head's owned copy begins here and all recorded offsets are relative to it.
    private var lineStart = 0
    /// The first index at which a request-line byte other than its CR exceeds `maxRequestLineBytes`.
    private var lineLimitIndex = 0
    private var targetStart = 0
    private var versionStart = 0
    private var line = RequestLine()
    private var fieldScanner: FieldSectionScanner
    /// The field offsets of the head being scanned. Handed over to the head when it completes (no copy), so an
    /// idle connection's parser holds no table; the next head allocates a fresh one with room for typical heads.
    private var fields: [HTTPHeaders.Field] = []
    private var framing = FramingFields()
    private let limits: HTTPParserLimits
    private let classes = ByteClass.shared

    init(limits: HTTPParserLimits) {
        self.limits = limits
        fieldScanner = FieldSectionScanner(startingAt: 0, limits: limits)
    }

    /// Forgets the head just produced.
    mutating func reset() {
        state = .emptyLineStart
        scannedBytes = 0
        emptyLines = 0
        line = RequestLine()
        fields = []
        framing = FramingFields()
    }

    /// Continues scanning `input`, which must begin with the same bytes as on the previous call. Returns the head
    /// and the bytes it spans once the empty line ending it has been read, nil while more bytes are needed.
    mutating func scan(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> (HTTPRequestHead, consumed: Int)? {
        precondition(input.count >= scannedBytes, "bytes already scanned for this head were dropped")
        var i = scannedBytes
        guard let head = try advance(input, from: &i) else {
            scannedBytes = i
            return nil
        }
        reset()
        return (head, consumed: i)
    }

    /// As in `FieldSectionScanner`, the states fall through in reading order, so a request line that is all there is
    /// read straight through without a dispatch per part.
    private mutating func advance(
        _ input: UnsafeRawBufferPointer, from i: inout Int
    ) throws(HTTPParseError) -> HTTPRequestHead? {
        let count = input.count
        while i < count {
            switch state {
            case .emptyLineFeed:
                guard input[i] == ByteClass.lf else { throw .bareCarriageReturn }
                emptyLines += 1
                guard emptyLines <= Self.maxLeadingEmptyLines else { throw .tooManyEmptyLines }
                i += 1
                state = .emptyLineStart

            case .emptyLineStart:
                let byte = input[i]
                if byte == ByteClass.cr {
                    state = .emptyLineFeed
                    i += 1
                    continue
                }
                guard classes.isToken(byte) else { throw Self.lineStartError(byte) }
                lineStart = i
                lineLimitIndex = i + limits.maxRequestLineBytes
                state = .method
                fallthrough

            case .method:
                let end = min(count, lineLimitIndex)
                while i < end && classes.isToken(input[i]) { i += 1 }
                guard i < count else { return nil }
                let byte = try requestLineByte(input, at: i)
                guard byte == ByteClass.sp else { throw Self.methodEndError(byte) }
                let method = UnsafeRawBufferPointer(rebasing: input[lineStart..<i])
                line.knownMethod = HTTPMethod.Registered(token: method)
                line.methodLength = method.count
                i += 1
                state = .targetStart
                fallthrough

            case .targetStart:
                guard i < count else { return nil }
                let byte = try requestLineByte(input, at: i)
                guard classes.isTarget(byte) else { throw Self.targetStartError(byte) }
                targetStart = i
                state = .target
                fallthrough

            case .target:
                let end = min(count, lineLimitIndex)
                while i < end && classes.isTarget(input[i]) { i += 1 }
                guard i < count else { return nil }
                let byte = try requestLineByte(input, at: i)
                guard byte == ByteClass.sp else { throw Self.targetEndError(byte) }
                try recordTarget(input, targetStart..<i)
                i += 1
                versionStart = i
                state = .version
                fallthrough

            case .version:
                while state == .version {
                    guard i < count else { return nil }
                    let byte = try requestLineByte(input, at: i)
                    let offset = i - versionStart
                    if offset == 8 && byte == ByteClass.cr {
                        state = .requestLineFeed
                    } else if offset == 8 || !Self.versionByteMatches(byte, at: offset) {
                        throw Self.versionError(byte)
                    }
                    i += 1
                }
                fallthrough

            case .requestLineFeed:
                guard i < count else { return nil }
                guard input[i] == ByteClass.lf else { throw .bareCarriageReturn }
                line.version = try Self.version(major: input[versionStart + 5], minor: input[versionStart + 7])
                i += 1
                fieldScanner = FieldSectionScanner(startingAt: i, limits: limits)
                state = .fields
                fallthrough

            case .fields:
                while true {
                    switch try fieldScanner.scan(input, from: &i) {
                    case .field:
                        try recordField(input)
                    case .sectionEnd:
                        return try makeHead(input, end: i)
                    case .needMore:
                        return nil
                    }
                }
            }
        }
        return nil
    }

    private static func lineStartError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.lf: .bareLineFeed
        case ByteClass.sp: .malformedRequestLine
        default: .invalidMethodCharacter
        }
    }

    /// A CR right after the method means the line is missing its target and version.
    private static func methodEndError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.lf: .bareLineFeed
        case ByteClass.cr: .malformedRequestLine
        default: .invalidMethodCharacter
        }
    }

    /// A second SP, or a CR right after the method's SP: the request line is missing a part.
    private static func targetStartError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.lf: .bareLineFeed
        case ByteClass.sp, ByteClass.cr: .malformedRequestLine
        default: .invalidTargetCharacter
        }
    }

    /// `GET /` with nothing after it is an HTTP/0.9 request, which this server does not speak.
    private static func targetEndError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.lf: .bareLineFeed
        case ByteClass.cr: .missingVersion
        default: .invalidTargetCharacter
        }
    }

    /// A second SP before the version or one after it is a malformed line, not a strange version.
    private static func versionError(_ byte: UInt8) -> HTTPParseError {
        switch byte {
        case ByteClass.lf: .bareLineFeed
        case ByteClass.sp: .malformedRequestLine
        default: .malformedVersion
        }
    }

    /// Reads a request-line byte, refusing it with 414 if it lies past the limit. The CR ending the line is exempt,
    /// so a line of exactly `maxRequestLineBytes` passes, and an overlong line is refused as soon as its first
    /// excess byte arrives rather than when (if ever) its CRLF does.
    private func requestLineByte(_ input: UnsafeRawBufferPointer, at i: Int) throws(HTTPParseError) -> UInt8 {
        let byte = input[i]
        guard i < lineLimitIndex || byte == ByteClass.cr else { throw .requestLineTooLong }
        return byte
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT`, matched byte by byte so garbage is refused as it arrives.
    private static func versionByteMatches(_ byte: UInt8, at offset: Int) -> Bool {
        switch offset {
        case 0: byte == UInt8(ascii: "H")
        case 1, 2: byte == UInt8(ascii: "T")
        case 3: byte == UInt8(ascii: "P")
        case 4: byte == UInt8(ascii: "/")
        case 5, 7: byte &- UInt8(ascii: "0") < 10
        default: byte == UInt8(ascii: ".")
        }
    }

    private static func version(major: UInt8, minor: UInt8) throws(HTTPParseError) -> HTTPVersion {
        guard major == UInt8(ascii: "1") else { throw .unsupportedVersion }
        switch minor {
        case UInt8(ascii: "1"): return .http1_1
        case UInt8(ascii: "0"): return .http1_0
        default: throw .unsupportedVersion
        }
    }

    /// Checks the target's form against the method (RFC 9112 §3.2) and records where its path and query are.
    private mutating func recordTarget(_ input: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPParseError) {
        let target = UnsafeRawBufferPointer(rebasing: input[range])
        let base = range.lowerBound - lineStart
        line.target = base..<(base + target.count)
        if target[0] == UInt8(ascii: "/") {
            splitPathAndQuery(target, from: 0, base: base)
        } else if line.knownMethod == .options && target.count == 1 && target[0] == UInt8(ascii: "*") {
            line.path = line.target
        } else if line.knownMethod == .connect {
            line.path = line.target
        } else if let authorityStart = Self.absoluteFormAuthorityStart(target) {
            var authorityEnd = authorityStart
            while authorityEnd < target.count && target[authorityEnd] != UInt8(ascii: "/")
                && target[authorityEnd] != UInt8(ascii: "?")
            {
                authorityEnd += 1
            }
            // An http(s) URI with an empty host is invalid and must be rejected (RFC 9110 §4.2.1).
            guard authorityEnd > authorityStart else { throw .invalidTargetForm }
            splitPathAndQuery(target, from: authorityEnd, base: base)
            line.pathIsImplicitRoot = line.path.isEmpty
        } else {
            throw .invalidTargetForm
        }
    }

    private mutating func splitPathAndQuery(_ target: UnsafeRawBufferPointer, from pathStart: Int, base: Int) {
        var pathEnd = pathStart
        while pathEnd < target.count && target[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        line.path = (base + pathStart)..<(base + pathEnd)
        if pathEnd < target.count {
            line.query = (base + pathEnd + 1)..<(base + target.count)
        }
    }

    /// Where the authority of an `http://` or `https://` target begins (schemes are case-insensitive), or nil when
    /// the target is not in absolute-form.
    private static func absoluteFormAuthorityStart(_ target: UnsafeRawBufferPointer) -> Int? {
        if target.count >= 7 && ASCII.equalsLowercase(UnsafeRawBufferPointer(rebasing: target[0..<7]), "http://") {
            return 7
        }
        if target.count >= 8 && ASCII.equalsLowercase(UnsafeRawBufferPointer(rebasing: target[0..<8]), "https://") {
            return 8
        }
        return nil
    }

    private mutating func recordField(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) {
        let name = fieldScanner.nameStart..<fieldScanner.nameEnd
        let value = fieldScanner.valueStart..<fieldScanner.valueEnd
        try framing.record(
            name: UnsafeRawBufferPointer(rebasing: input[name]),
            value: UnsafeRawBufferPointer(rebasing: input[value])
        )
        if fields.capacity == 0 { fields.reserveCapacity(8) }
        fields.append(
            HTTPHeaders.Field(
                nameStart: UInt32(name.lowerBound - lineStart),
                nameEnd: UInt32(name.upperBound - lineStart),
                valueStart: UInt32(value.lowerBound - lineStart),
                valueEnd: UInt32(value.upperBound - lineStart)
            )
        )
    }

    /// Copies the head's bytes out of the caller's buffer and hands over the field table: the two allocations a
    /// request costs.
    private mutating func makeHead(_ input: UnsafeRawBufferPointer, end: Int) throws(HTTPParseError) -> HTTPRequestHead
    {
        let framing = try framing.framing(version: line.version, maxBodyBytes: limits.maxBodyBytes)
        let table = fields
        fields = []
        return HTTPRequestHead(
            bytes: [UInt8](UnsafeRawBufferPointer(rebasing: input[lineStart..<end])),
            fields: table,
            line: line,
            framing: framing,
            keepAlive: self.framing.keepAlive(version: line.version),
            expectsContinue: self.framing.expectsContinue(version: line.version)
        )
    }
}
