import Reactor

/// Cheap, allocation-free look at a body, run on the reactor thread before the body is queued (admission control
/// needs the event count and whether the request may use the HIGH-priority reserve). Never throws: anything it
/// cannot understand gives eventCount 1, allHigh false; the real decoder rejects bad bodies later.
///
/// It only tracks brackets, strings and the keys of event objects, and checks nothing else: a body it counts may
/// still be refused by `TelemetryDecoder`, which is fine because the count only sizes admission.
public enum TelemetryPrescan {
    public struct Result: Equatable, Sendable {
        /// Elements of a top-level array (0 for `[]`), or 1 for anything else.
        public var eventCount: Int
        /// True only when every event is an object whose own `"priority"` key has the string value `high` in any
        /// case, written without escapes.
        public var allHigh: Bool

        public init(eventCount: Int, allHigh: Bool) {
            self.eventCount = eventCount
            self.allHigh = allHigh
        }
    }

    private static let notUnderstood = Result(eventCount: 1, allHigh: false)

    public static func scan(_ body: UnsafeRawBufferPointer) -> Result {
        let bytes = body.assumingMemoryBound(to: UInt8.self)
        var index = 0
        while index < bytes.count && JSONCursor.isWhitespace(bytes[index]) {
            index += 1
        }
        guard index < bytes.count else { return notUnderstood }
        let isArray: Bool
        switch bytes[index] {
        case UInt8(ascii: "["): isArray = true
        case UInt8(ascii: "{"): isArray = false
        default: return notUnderstood
        }
        // Events are the top-level object, or the objects directly inside the top-level array.
        let eventDepth = isArray ? 2 : 1

        var depth = 0
        var commas = 0
        var hasElement = false
        var allHigh = true
        // State inside the current event object.
        var inEvent = false
        var expectingKey = false
        var awaitingPriorityValue = false
        var eventIsHigh = false
        // Only used to step over string contents quickly.
        var strings = JSONCursor(bytes: bytes)

        scanning: while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let contentStart = index + 1
                var hasEscapes = false
                strings.offset = contentStart
                while true {
                    strings.skipPlainASCII()
                    guard let special = strings.current else { return notUnderstood }
                    if special == UInt8(ascii: "\"") { break }
                    if special == UInt8(ascii: "\\") {
                        hasEscapes = true
                        strings.offset += 1
                    }
                    strings.offset += 1
                }
                let end = strings.offset
                let content = UnsafeBufferPointer(rebasing: bytes[contentStart..<end])
                if depth == 1 && isArray {
                    hasElement = true
                    allHigh = false
                } else if inEvent && depth == eventDepth {
                    if expectingKey {
                        expectingKey = false
                        awaitingPriorityValue = !hasEscapes && content.hasSameBytes(as: "priority")
                        if awaitingPriorityValue {
                            eventIsHigh = false
                        }
                    } else if awaitingPriorityValue {
                        awaitingPriorityValue = false
                        eventIsHigh = !hasEscapes && ASCII.equalsLowercase(UnsafeRawBufferPointer(content), "high")
                    }
                }
                index = end + 1
                continue scanning
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1 && isArray {
                    hasElement = true
                }
                awaitingPriorityValue = false
                depth += 1
                if depth == eventDepth {
                    inEvent = byte == UInt8(ascii: "{")
                    expectingKey = inEvent
                    eventIsHigh = false
                    allHigh = allHigh && inEvent
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == eventDepth && inEvent {
                    allHigh = allHigh && eventIsHigh
                    inEvent = false
                }
                depth -= 1
                if depth == 0 {
                    index += 1
                    break scanning
                }
            case UInt8(ascii: ","):
                if depth == 1 && isArray {
                    commas += 1
                }
                if inEvent && depth == eventDepth {
                    expectingKey = true
                    awaitingPriorityValue = false
                }
            case UInt8(ascii: ":"):
                break
            default:
                if !JSONCursor.isWhitespace(byte) {
                    if depth == 1 && isArray {
                        hasElement = true
                        allHigh = false
                    }
                    awaitingPriorityValue = false
                }
            }
            index += 1
        }
        guard depth == 0 else { return notUnderstood }
        while index < bytes.count && JSONCursor.isWhitespace(bytes[index]) {
            index += 1
        }
        guard index == bytes.count else { return notUnderstood }

        guard isArray else { return Result(eventCount: 1, allHigh: allHigh) }
        let count = hasElement ? commas + 1 : 0
        return Result(eventCount: count, allHigh: allHigh && count > 0)
    }
}
