// libFuzzer harness for `HTTPRequestParser` (heads, fixed and chunked bodies, pipelining): the input fed whole, in
// random pieces and one byte at a time must produce the same heads, bodies, ends and error. Built by scripts/fuzz.

/// The observable content of a head, as `HTTPFeeder.HeadSummary` in the unit tests.
struct HeadSummary: Equatable {
    var method: HTTPMethod
    var target: String
    var path: String
    var query: String?
    var version: HTTPVersion
    var headers: [String]
    var framing: HTTPBodyFraming
    var keepAlive: Bool
    var expectsContinue: Bool

    init(_ head: HTTPRequestHead) {
        method = head.method
        target = head.target
        path = head.path
        query = head.query
        version = head.version
        headers = head.headers.map { "\($0.name): \($0.value)" }
        framing = head.framing
        keepAlive = head.keepAlive
        expectsContinue = head.expectsContinue
    }
}

/// Consecutive body pieces are merged: where a body is cut depends on how the bytes arrived, nothing else may.
enum ParseEvent: Equatable {
    case head(HeadSummary)
    case body([UInt8])
    case end
    case error(HTTPParseError)
}

/// Small enough that inputs of a few hundred bytes reach every limit.
let tightHTTPLimits = HTTPParserLimits(
    maxRequestLineBytes: 48, maxHeaderBytes: 160, maxHeaderCount: 4, maxBodyBytes: 96)

/// Drives the parser the way `HTTPConnection` does: keeps every unconsumed byte, appends each new piece and calls
/// `parse` until `.needMore`. Every call gets an exactly sized copy, so ASan sees reads past the input. Contract
/// violations stop the run.
func httpEvents(_ bytes: [UInt8], _ feeding: Feeding, limits: HTTPParserLimits) -> [ParseEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var pending: [UInt8] = []
    var events: [ParseEvent] = []
    var insideMessage = false
    for piece in feeding.slices(of: bytes) {
        pending.append(contentsOf: piece)
        // Every result but `.end` and `.needMore` consumes at least one byte, so this bounds a correct parser.
        var stepsLeft = 2 * pending.count + 8
        while true {
            stepsLeft -= 1
            if stepsLeft < 0 { oracleFailure("no progress (\(feeding))") }
            let result = withExactCopy(pending[...]) { parser.parse($0) }
            let consumed: Int
            switch result {
            case .needMore(let count):
                if !insideMessage && count != 0 { oracleFailure("head bytes consumed before the head ended") }
                consumed = count
            case .head(let head, let count):
                if insideMessage { oracleFailure("head inside a message (\(feeding))") }
                insideMessage = true
                events.append(.head(HeadSummary(head)))
                consumed = count
            case .body(let range, let count):
                if !insideMessage { oracleFailure("body outside a message (\(feeding))") }
                if range.isEmpty || range.lowerBound < 0 || range.upperBound > count || count > pending.count {
                    oracleFailure("body range \(range) outside the consumed \(count) of \(pending.count) bytes")
                }
                if case .body(var earlier) = events.last {
                    events.removeLast()
                    earlier.append(contentsOf: pending[range])
                    events.append(.body(earlier))
                } else {
                    events.append(.body(Array(pending[range])))
                }
                consumed = count
            case .end(let count):
                if !insideMessage { oracleFailure("end outside a message (\(feeding))") }
                insideMessage = false
                events.append(.end)
                consumed = count
            case .error(let error):
                events.append(.error(error))
                // Sticky: the same error for the same bytes and after more bytes.
                for retry in [pending, pending + [0x0D, 0x0A]] {
                    guard case .error(let again) = withExactCopy(retry[...], { parser.parse($0) }), again == error
                    else { oracleFailure("error \(error) is not sticky (\(feeding))") }
                }
                return events
            }
            // Connections lend parsers out only between messages: right after an end, or with nothing pending
            // outside a message, and never inside one.
            let between: Bool? =
                insideMessage ? false : (result.isEnd || (consumed == pending.count) ? true : nil)
            if let between, parser.isBetweenMessages != between {
                oracleFailure("isBetweenMessages is \(parser.isBetweenMessages) after \(result) (\(feeding))")
            }
            if consumed < 0 || consumed > pending.count {
                oracleFailure("consumed \(consumed) of \(pending.count) bytes (\(feeding))")
            }
            pending.removeFirst(consumed)
            if case .needMore = result { break }
        }
    }
    return events
}

extension HTTPParseResult {
    fileprivate var isEnd: Bool {
        if case .end = self { return true }
        return false
    }
}

/// Whole, byte by byte and random pieces must agree, under the default limits or tight ones.
func checkHTTPParser(_ data: UnsafeRawBufferPointer) {
    var generator = FuzzGenerator(hashing: data)
    let bytes = Array(data)
    let limits = Bool.random(using: &generator) ? HTTPParserLimits() : tightHTTPLimits
    let expected = httpEvents(bytes, .whole, limits: limits)
    var feedings: [Feeding] = [.byteByByte]
    for _ in 0..<2 {
        feedings.append(.randomPieces(count: bytes.count, maxCuts: 6, using: &generator))
    }
    for feeding in feedings {
        let actual = httpEvents(bytes, feeding, limits: limits)
        if actual != expected {
            oracleFailure("\(feeding) gave\n\(actual)\nwhole gave\n\(expected)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    checkHTTPParser(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
