import Glibc
import TestSupport
import Testing

@testable import Reactor

/// One header field as the tests spell it.
struct HeaderPair: Equatable, CustomStringConvertible {
    var name: String
    var value: String

    var description: String { "\(name): \(value)" }
}

/// The observable content of a parsed head, comparable with `==`.
struct HeadSummary: Equatable {
    var method: HTTPMethod
    var target: String
    var path: String
    var query: String?
    var version: HTTPVersion
    var headers: [HeaderPair]
    var framing: HTTPBodyFraming
    var keepAlive: Bool
    var expectsContinue: Bool

    init(_ head: HTTPRequestHead) {
        method = head.method
        target = head.target
        path = head.path
        query = head.query
        version = head.version
        headers = head.headers.map { HeaderPair(name: $0.name, value: $0.value) }
        framing = head.framing
        keepAlive = head.keepAlive
        expectsContinue = head.expectsContinue
    }

    init(
        method: HTTPMethod, target: String, path: String, query: String?, version: HTTPVersion,
        headers: [HeaderPair], framing: HTTPBodyFraming, keepAlive: Bool, expectsContinue: Bool
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }
}

/// What a run of the parser produced. Consecutive body pieces are merged, because where a body is cut depends on
/// how the bytes arrived, and the tests assert that nothing else does.
enum ParseEvent: Equatable {
    case head(HeadSummary)
    case body([UInt8])
    case end
    case error(HTTPParseError)

    /// Bodies compare with `memcmp`: the limit tests compare megabyte bodies hundreds of times, and the generic
    /// element-by-element `==` of an unoptimised test build would dominate the run.
    static func == (lhs: ParseEvent, rhs: ParseEvent) -> Bool {
        switch (lhs, rhs) {
        case (.head(let left), .head(let right)): left == right
        case (.body(let left), .body(let right)):
            left.count == right.count
                && left.withUnsafeBytes { left in
                    right.withUnsafeBytes { right in
                        left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
                    }
                }
        case (.end, .end): true
        case (.error(let left), .error(let right)): left == right
        default: false
        }
    }
}

/// How the bytes of a test case reach the parser.
enum FeedMode: CustomStringConvertible {
    case whole
    case split(at: Int)
    case byteByByte

    var description: String {
        switch self {
        case .whole: "whole buffer"
        case .split(let position): "split at \(position)"
        case .byteByByte: "byte by byte"
        }
    }
}

/// Drives an `HTTPRequestParser` the way the connection does: it keeps every unconsumed byte, appends each newly
/// arrived piece, and calls `parse` until `.needMore`, dropping `consumed` bytes after each result. Each call's input
/// is placed against a guard page. Contract violations (consuming more than given, a body range outside the input,
/// consuming head bytes before the head is complete, an error that is not sticky) are recorded as test failures.
enum HTTPFeeder {
    /// Runs `bytes` through a fresh parser fed according to `mode`.
    static func events(
        _ bytes: [UInt8], mode: FeedMode, limits: HTTPParserLimits = .init(), buffer: GuardedBuffer? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [ParseEvent] {
        var parser = HTTPRequestParser(limits: limits)
        let buffer = buffer ?? GuardedBuffer(capacity: bytes.count)
        var pending: [UInt8] = []
        var events: [ParseEvent] = []
        var insideMessage = false
        for piece in pieces(of: bytes, mode: mode) {
            pending.append(contentsOf: piece)
            // Every result but `.end` and `.needMore` consumes at least one byte, so this bounds a correct parser.
            var stepsLeft = 2 * pending.count + 8
            feeding: while true {
                stepsLeft -= 1
                guard stepsLeft >= 0 else {
                    Issue.record("parser made no progress (\(mode))", sourceLocation: sourceLocation)
                    return events
                }
                let result = buffer.withBytesAtGuard(pending) { parser.parse($0) }
                // Plain checks rather than `#expect`: this loop runs once per byte of megabyte bodies.
                func violation(_ problem: String) -> [ParseEvent] {
                    Issue.record("\(problem) (\(mode))", sourceLocation: sourceLocation)
                    return events
                }
                let consumed: Int
                switch result {
                case .needMore(let count):
                    if !insideMessage && count != 0 { return violation("head bytes consumed before the head ended") }
                    consumed = count
                case .head(let head, let count):
                    if insideMessage { return violation("head inside a message") }
                    insideMessage = true
                    events.append(.head(HeadSummary(head)))
                    consumed = count
                case .body(let range, let count):
                    if !insideMessage { return violation("body outside a message") }
                    if range.isEmpty || range.lowerBound < 0 || range.upperBound > count || count > pending.count {
                        return violation("body range \(range) outside the consumed \(count) bytes")
                    }
                    appendBody(pending[range], to: &events)
                    consumed = count
                case .end(let count):
                    if !insideMessage { return violation("end outside a message") }
                    insideMessage = false
                    events.append(.end)
                    consumed = count
                case .error(let error):
                    events.append(.error(error))
                    expectSticky(&parser, error, buffer: buffer, pending: pending, sourceLocation: sourceLocation)
                    return events
                }
                guard consumed >= 0 && consumed <= pending.count else {
                    Issue.record(
                        "consumed \(consumed) of \(pending.count) bytes (\(mode))", sourceLocation: sourceLocation)
                    return events
                }
                pending.removeFirst(consumed)
                if case .needMore = result { break feeding }
            }
        }
        return events
    }

    /// Runs `bytes` whole, split into two feeds at every position (or a sample of positions for large inputs, see
    /// `splitPositions`), and one byte at a time; expects every run to produce `expected`.
    static func expectAllModes(
        _ bytes: [UInt8], produce expected: [ParseEvent], limits: HTTPParserLimits = .init(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        // One guarded mapping for all runs: mapping and zeroing fresh pages per run would dominate large inputs.
        let buffer = GuardedBuffer(capacity: bytes.count)
        for mode in modes(for: bytes.count) {
            let actual = events(bytes, mode: mode, limits: limits, buffer: buffer, sourceLocation: sourceLocation)
            #expect(actual == expected, "\(mode)", sourceLocation: sourceLocation)
            // One failing mode usually means all of its neighbours fail the same way; stop at the first.
            if actual != expected { return }
        }
    }

    /// The whole buffer, every two-feed split, and byte by byte.
    static func modes(for count: Int) -> [FeedMode] {
        [.whole] + splitPositions(for: count).map { .split(at: $0) } + [.byteByByte]
    }

    /// Every split position for inputs up to 2 KiB. Beyond that, running the whole input once per position would
    /// make the limit tests quadratic, so it is every position within 256 bytes of either end plus 256 positions
    /// spread evenly between, which still crosses every line of a large head.
    static func splitPositions(for count: Int) -> [Int] {
        guard count > 2048 else { return Array(1..<max(1, count)) }
        let edge = 256
        let stride = max(1, (count - 2 * edge) / 256)
        let middle = Swift.stride(from: edge, to: count - edge, by: stride)
        return Array(1..<edge) + Array(middle) + Array((count - edge)..<count)
    }

    private static func pieces(of bytes: [UInt8], mode: FeedMode) -> [ArraySlice<UInt8>] {
        switch mode {
        case .whole:
            return [bytes[...]]
        case .split(let position):
            return [bytes[..<position], bytes[position...]]
        case .byteByByte:
            return bytes.indices.map { bytes[$0...$0] }
        }
    }

    private static func appendBody(_ piece: ArraySlice<UInt8>, to events: inout [ParseEvent]) {
        if case .body(var earlier) = events.last {
            // Taken out of the array first so the append happens in place, not as a copy per piece.
            events.removeLast()
            earlier.append(contentsOf: piece)
            events.append(.body(earlier))
        } else {
            events.append(.body(Array(piece)))
        }
    }

    private static func expectSticky(
        _ parser: inout HTTPRequestParser, _ error: HTTPParseError, buffer: GuardedBuffer, pending: [UInt8],
        sourceLocation: SourceLocation
    ) {
        let again = buffer.withBytesAtGuard(pending) { parser.parse($0) }
        let afterMore = buffer.withBytesAtGuard([]) { parser.parse($0) }
        for result in [again, afterMore] {
            guard case .error(let repeated) = result, repeated == error else {
                Issue.record("error \(error) is not sticky: \(result)", sourceLocation: sourceLocation)
                return
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// The bytes of a test request written as a Swift string.
    init(http text: String) {
        self = Array(text.utf8)
    }
}

extension ParseEvent {
    /// The expected head of a request. Path and query default to the target split at its first `?`.
    static func head(
        _ method: HTTPMethod, _ target: String, _ headers: [(String, String)] = [("Host", "example.com")],
        version: HTTPVersion = .http1_1, framing: HTTPBodyFraming = .none, keepAlive: Bool = true,
        expectsContinue: Bool = false, path: String? = nil, query: String? = nil
    ) -> ParseEvent {
        let questionMark = target.firstIndex(of: "?")
        return .head(
            HeadSummary(
                method: method,
                target: target,
                path: path ?? String(target[..<(questionMark ?? target.endIndex)]),
                query: path != nil ? query : questionMark.map { String(target[target.index(after: $0)...]) },
                version: version,
                headers: headers.map { HeaderPair(name: $0.0, value: $0.1) },
                framing: framing,
                keepAlive: keepAlive,
                expectsContinue: expectsContinue
            )
        )
    }

    static func body(_ text: String) -> ParseEvent {
        .body(Array(text.utf8))
    }
}

/// An `HTTPParseResult` with the head reduced to its consumed count, so single parse steps compare with `==`.
enum RawResult: Equatable {
    case needMore(consumed: Int)
    case head(consumed: Int)
    case body(Range<Int>, consumed: Int)
    case end(consumed: Int)
    case error(HTTPParseError)

    init(_ result: HTTPParseResult) {
        switch result {
        case .needMore(let consumed): self = .needMore(consumed: consumed)
        case .head(_, let consumed): self = .head(consumed: consumed)
        case .body(let range, let consumed): self = .body(range, consumed: consumed)
        case .end(let consumed): self = .end(consumed: consumed)
        case .error(let error): self = .error(error)
        }
    }
}
