/// A fast path for the `data` JSON the gateway writes: one pass over the bytes straight into `EventData`.
///
/// `JSONDecoder` took about a fifth of the processor's CPU (perf, 60,000-entry drain): it builds a generic tree,
/// boxes every value and allocates per key. The gateway stores compact, validated JSON with a known shape, so a
/// small scanner does the same work with a few allocations per event. It returns nil for anything it does not
/// handle exactly like `JSONDecoder` (a type mismatch, a duplicate key, `sequence_id`, nesting inside metadata,
/// a malformed text, a number that does not fit a Double): the caller then decodes with `JSONDecoder`, which
/// gives the same result or the precise error for the dead letter. Tests compare both on a table of inputs.
struct EventJSONParser {
    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func parse(_ bytes: [UInt8]) -> EventData? {
        var parser = EventJSONParser(bytes)
        return parser.event()
    }

    private enum Value {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
        case metadata([String: MetadataValue])
    }

    private mutating func event() -> EventData? {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var event = EventData(value: .nan)
        var seen = Set<String>()
        var hasValue = false
        skipWhitespace()
        if !take(UInt8(ascii: "}")) {
            repeat {
                skipWhitespace()
                guard let key = string() else { return nil }
                skipWhitespace()
                guard take(UInt8(ascii: ":")), seen.insert(key).inserted else { return nil }
                skipWhitespace()
                guard let value = value(allowObject: key == "metadata") else { return nil }
                switch (key, value) {
                case ("value", .number(let number)):
                    event.value = number
                    hasValue = true
                case ("device_id", .string(let text)): event.deviceID = text
                case ("type", .string(let text)): event.type = text
                case ("unit", .string(let text)): event.unit = text
                case ("priority", .string(let text)): event.priority = text
                case ("timestamp", .string(let text)): event.timestamp = text
                case ("received_at", .string(let text)): event.receivedAt = text
                case ("metadata", .metadata(let metadata)): event.metadata = metadata
                case ("device_id", .null), ("type", .null), ("unit", .null), ("priority", .null), ("timestamp", .null),
                    ("received_at", .null), ("metadata", .null):
                    break
                case ("value", _), ("device_id", _), ("type", _), ("unit", _), ("priority", _), ("timestamp", _),
                    ("received_at", _), ("metadata", _), ("sequence_id", _):
                    return nil  // a type mismatch, or a field the slow path decodes: let JSONDecoder say it
                default:
                    break  // unknown keys are ignored, as Decodable does
                }
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
        }
        skipWhitespace()
        guard index == bytes.count, hasValue else { return nil }
        return event
    }

    private mutating func value(allowObject: Bool) -> Value? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return string().map(Value.string)
        case UInt8(ascii: "t"):
            return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return literal("null") ? .null : nil
        case UInt8(ascii: "{") where allowObject:
            return metadata().map(Value.metadata)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return number().map(Value.number)
        default:
            return nil
        }
    }

    /// A flat object of strings, numbers and booleans (what the gateway accepts as metadata).
    private mutating func metadata() -> [String: MetadataValue]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var result: [String: MetadataValue] = [:]
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return result }
        repeat {
            skipWhitespace()
            guard let key = string() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ":")), result[key] == nil else { return nil }
            skipWhitespace()
            switch value(allowObject: false) {
            case .string(let text): result[key] = .string(text)
            case .number(let number): result[key] = .number(number)
            case .bool(let flag): result[key] = .bool(flag)
            default: return nil
            }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}")) ? result : nil
    }

    /// RFC 8259 number grammar, checked here; the digits are then converted by the standard library.
    private mutating func number() -> Double? {
        let start = index
        _ = take(UInt8(ascii: "-"))
        if take(UInt8(ascii: "0")) {
        } else {
            guard digits() > 0 else { return nil }
        }
        if take(UInt8(ascii: ".")) { guard digits() > 0 else { return nil } }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() > 0 else { return nil }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(text), number.isFinite else { return nil }
        return number
    }

    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        return index - start
    }

    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                index = start
                return escapedString()
            }
            guard byte >= 0x20 else { return nil }
            index += 1
        }
        return nil
    }

    /// The slow lane of `string()`, for strings with escapes.
    private mutating func escapedString() -> String? {
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            run.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): run.append(escape)
                case UInt8(ascii: "b"): run.append(0x08)
                case UInt8(ascii: "f"): run.append(0x0C)
                case UInt8(ascii: "n"): run.append(0x0A)
                case UInt8(ascii: "r"): run.append(0x0D)
                case UInt8(ascii: "t"): run.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code) {
                        guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(),
                            (0xDC00..<0xE000).contains(low)
                        else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    flush()
                    scalars.append(scalar)
                default:
                    return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                run.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index] | 0x20
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }
}
