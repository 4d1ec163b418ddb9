import Reactor

/// Reads a whole request body into events in one pass, validating each event completely before building its output.
///
/// It stops at the first problem. Nesting is bounded by the shape of telemetry itself (array, event, metadata), so
/// the parser never recurses on client input; values of any other shape are refused by type before being read.
struct TelemetryBodyParser {
    private var cursor: JSONCursor
    private let limits: TelemetryLimits
    private let receivedAt: [UInt8]

    /// Bytes of the smallest valid event, `{"device_id":"a","value":1}`, plus the comma after it. Dividing the body
    /// length by it bounds the event count, so the events array is reserved once instead of growing.
    private static let minimumEventBytes = 28

    init(body: UnsafeBufferPointer<UInt8>, limits: TelemetryLimits, receivedAt: [UInt8]) {
        self.cursor = JSONCursor(bytes: body)
        self.limits = limits
        self.receivedAt = receivedAt
    }

    private var bytes: UnsafeBufferPointer<UInt8> { cursor.bytes }

    mutating func parseBody() throws(ParseFailure) -> TelemetryBatch {
        cursor.skipWhitespace()
        switch cursor.current {
        case UInt8(ascii: "{"):
            let event = try parseEvent(depth: 1, path: EventPath(index: nil))
            try finishBody()
            return TelemetryBatch(events: [event], isArray: false)
        case UInt8(ascii: "["):
            let events = try parseEvents()
            try finishBody()
            return TelemetryBatch(events: events, isArray: true)
        default:
            throw .rejected(.notObjectOrArray)
        }
    }

    /// Only whitespace may follow the top-level value.
    private mutating func finishBody() throws(ParseFailure) {
        cursor.skipWhitespace()
        guard cursor.isAtEnd else { throw cursor.unexpected() }
    }

    private mutating func parseEvents() throws(ParseFailure) -> [TelemetryEvent] {
        guard limits.maxDepth >= 1 else { throw .tooDeep }
        cursor.offset += 1
        cursor.skipWhitespace()
        if cursor.current == UInt8(ascii: "]") { throw .rejected(.emptyBatch) }
        var events: [TelemetryEvent] = []
        events.reserveCapacity(max(1, min(limits.maxBatch, bytes.count / TelemetryBodyParser.minimumEventBytes + 1)))
        while true {
            guard events.count < limits.maxBatch else { throw .batchTooLarge }
            guard cursor.current == UInt8(ascii: "{") else { throw .rejected(.notAnObject(index: events.count)) }
            events.append(try parseEvent(depth: 2, path: EventPath(index: events.count)))
            cursor.skipWhitespace()
            if cursor.current == UInt8(ascii: "]") {
                cursor.offset += 1
                return events
            }
            try cursor.consume(UInt8(ascii: ","))
            cursor.skipWhitespace()
        }
    }

    /// One event object at the `{` under the cursor, at nesting `depth`.
    private mutating func parseEvent(depth: Int, path: EventPath) throws(ParseFailure) -> TelemetryEvent {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        cursor.offset += 1
        var layout = EventDataLayout()
        var seen = TelemetryFieldSet()
        var deviceID: JSONStringToken?
        var priority = TelemetryPriority.medium
        cursor.skipWhitespace()
        var isClosed = cursor.current == UInt8(ascii: "}")
        while !isClosed {
            guard cursor.current == UInt8(ascii: "\"") else { throw cursor.unexpected() }
            let memberStart = cursor.offset
            let whitespaceBefore = cursor.skippedWhitespace
            let key = try cursor.scanString()
            cursor.skipWhitespace()
            try cursor.consume(UInt8(ascii: ":"))
            cursor.skipWhitespace()
            guard let field = TelemetryField(key: key, in: bytes) else {
                throw .rejected(.field(path.member(key.messageName(in: bytes)), .unknown))
            }
            guard seen.insert(field) else { throw refusal(field, .duplicate, path) }

            var isKept = true
            switch field {
            case .deviceID:
                guard cursor.current == UInt8(ascii: "\"") else {
                    try consumeNull(orRefuse: field, .expectedString, path)
                    throw refusal(field, .required, path)
                }
                let token = try cursor.scanString()
                try checkDeviceID(token, path)
                deviceID = token
            case .value:
                guard let byte = cursor.current, JSONCursor.startsNumber(byte) else {
                    try consumeNull(orRefuse: field, .expectedFiniteNumber, path)
                    throw refusal(field, .required, path)
                }
                guard try cursor.scanNumber().isFinite(in: bytes) else {
                    throw refusal(field, .expectedFiniteNumber, path)
                }
            case .type, .unit:
                guard cursor.current == UInt8(ascii: "\"") else {
                    try consumeNull(orRefuse: field, .expectedString, path)
                    isKept = false
                    break
                }
                _ = try cursor.scanString()
            case .priority:
                guard cursor.current == UInt8(ascii: "\"") else {
                    try consumeNull(orRefuse: field, .expectedPriority, path)
                    isKept = false
                    break
                }
                let token = try cursor.scanString()
                guard let value = TelemetryPriority(token, in: bytes) else {
                    throw refusal(field, .expectedPriority, path)
                }
                priority = value
                layout.keepPriority(key: key, value)
                isKept = false
            case .timestamp:
                guard cursor.current == UInt8(ascii: "\"") else {
                    try consumeNull(orRefuse: field, .expectedTimestamp, path)
                    isKept = false
                    break
                }
                let token = try cursor.scanString()
                let isValid = token.withUnescaped(in: bytes, maxBytes: RFC3339.maxLength) {
                    RFC3339.isValid(UnsafeRawBufferPointer($0))
                }
                guard isValid == true else { throw refusal(field, .expectedTimestamp, path) }
            case .sequenceID:
                guard let byte = cursor.current, JSONCursor.startsNumber(byte) else {
                    try consumeNull(orRefuse: field, .expectedUInt32, path)
                    isKept = false
                    break
                }
                let start = cursor.offset
                let number = try cursor.scanNumber()
                guard number.isUInt32(spanning: start..<cursor.offset, in: bytes) else {
                    throw refusal(field, .expectedUInt32, path)
                }
            case .metadata:
                guard cursor.current == UInt8(ascii: "{") else {
                    try consumeNull(orRefuse: field, .expectedObject, path)
                    isKept = false
                    break
                }
                try parseMetadata(depth: depth + 1, path: path)
            }
            if isKept {
                layout.keep(
                    from: memberStart, to: cursor.offset, whitespace: cursor.skippedWhitespace - whitespaceBefore)
            }

            cursor.skipWhitespace()
            isClosed = cursor.current == UInt8(ascii: "}")
            if !isClosed {
                try cursor.consume(UInt8(ascii: ","))
                cursor.skipWhitespace()
            }
        }
        cursor.offset += 1

        guard let deviceID else { throw refusal(.deviceID, .required, path) }
        guard seen.contains(.value) else { throw refusal(.value, .required, path) }
        return TelemetryEvent(
            deviceID: deviceID.unescapedArray(in: bytes),
            priority: priority,
            data: layout.write(from: bytes, receivedAt: receivedAt))
    }

    /// Steps over a `null` (an absent value), or refuses the member's value as not of the expected type.
    private mutating func consumeNull(
        orRefuse field: TelemetryField, _ problem: FieldProblem, _ path: EventPath
    ) throws(ParseFailure) {
        guard cursor.current == UInt8(ascii: "n") else { throw refusal(field, problem, path) }
        try cursor.consumeLiteral("null")
    }

    /// The device ID becomes a Redis field and shows up in logs and dashboards, so it must be short and printable.
    private func checkDeviceID(_ token: JSONStringToken, _ path: EventPath) throws(ParseFailure) {
        var count = 0
        var hasControl = false
        var source = token.unescapedBytes(in: bytes)
        while let byte = source.next(), count <= limits.maxDeviceIDBytes {
            count += 1
            hasControl = hasControl || byte < 0x20 || byte == 0x7F
        }
        guard count >= 1 && count <= limits.maxDeviceIDBytes else {
            throw refusal(.deviceID, .lengthOutOfRange(maxBytes: limits.maxDeviceIDBytes), path)
        }
        guard !hasControl else { throw refusal(.deviceID, .controlCharacter, path) }
    }

    /// A metadata object at the `{` under the cursor: flat, with string, finite number or boolean values.
    private mutating func parseMetadata(depth: Int, path: EventPath) throws(ParseFailure) {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        cursor.offset += 1
        cursor.skipWhitespace()
        if cursor.current == UInt8(ascii: "}") {
            cursor.offset += 1
            return
        }
        var keys = MetadataKeys()
        while true {
            guard cursor.current == UInt8(ascii: "\"") else { throw cursor.unexpected() }
            let key = try cursor.scanString()
            cursor.skipWhitespace()
            try cursor.consume(UInt8(ascii: ":"))
            cursor.skipWhitespace()
            guard keys.insert(key, in: bytes) else { throw metadataRefusal(key, .duplicate, path) }
            switch cursor.current {
            case UInt8(ascii: "\""):
                _ = try cursor.scanString()
            case UInt8(ascii: "t"):
                try cursor.consumeLiteral("true")
            case UInt8(ascii: "f"):
                try cursor.consumeLiteral("false")
            case let byte? where JSONCursor.startsNumber(byte):
                guard try cursor.scanNumber().isFinite(in: bytes) else {
                    throw metadataRefusal(key, .expectedFiniteNumber, path)
                }
            default:
                throw metadataRefusal(key, .expectedMetadataValue, path)
            }
            cursor.skipWhitespace()
            if cursor.current == UInt8(ascii: "}") {
                cursor.offset += 1
                return
            }
            try cursor.consume(UInt8(ascii: ","))
            cursor.skipWhitespace()
        }
    }

    /// Messages are only built here, on the way out, so a valid event never pays for a String.
    private func refusal(_ field: TelemetryField, _ problem: FieldProblem, _ path: EventPath) -> ParseFailure {
        .rejected(.field(path.member("\(field.name)"), problem))
    }

    private func metadataRefusal(_ key: JSONStringToken, _ problem: FieldProblem, _ path: EventPath) -> ParseFailure {
        .rejected(.field(path.member("metadata." + key.messageName(in: bytes)), problem))
    }
}

extension TelemetryPriority {
    /// Parses a priority string token case-insensitively; nil for anything but `high`, `medium` or `low`.
    fileprivate init?(_ token: JSONStringToken, in bytes: UnsafeBufferPointer<UInt8>) {
        guard let priority = token.withUnescaped(in: bytes, maxBytes: 6, TelemetryPriority.matching) ?? nil else {
            return nil
        }
        self = priority
    }

    private static func matching(_ text: UnsafeBufferPointer<UInt8>) -> TelemetryPriority? {
        let text = UnsafeRawBufferPointer(text)
        switch text.count {
        case 3: return ASCII.equalsLowercase(text, "low") ? .low : nil
        case 4: return ASCII.equalsLowercase(text, "high") ? .high : nil
        case 6: return ASCII.equalsLowercase(text, "medium") ? .medium : nil
        default: return nil
        }
    }
}

extension JSONNumberToken {
    /// Whether the number, written from `lexeme.lowerBound`, is a plain integer (no sign, fraction or exponent)
    /// from 0 through `UInt32.max`.
    fileprivate func isUInt32(spanning lexeme: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard integerDigits == lexeme, integerDigits.count <= 10 else { return false }
        var value: UInt64 = 0
        for index in integerDigits {
            value = value * 10 + UInt64(bytes[index] &- UInt8(ascii: "0"))
        }
        return value <= UInt64(UInt32.max)
    }
}
