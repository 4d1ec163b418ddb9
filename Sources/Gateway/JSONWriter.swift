/// Appends JSON to a byte buffer: objects, strings with escaping, numbers. Used for every response body the
/// gateway writes, so the output is valid JSON whatever a client sent (a field name in an error message, say).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    mutating func key(_ name: String) {
        separate()
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, _ value: Int) {
        key(name)
        integer(value)
    }

    mutating func field(_ name: String, _ value: Double) {
        key(name)
        number(value)
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func nullField(_ name: String) {
        key(name)
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Inserts bytes that are already a JSON value (a stored event), without re-encoding.
    mutating func rawField(_ name: String, _ json: [UInt8]) {
        key(name)
        separate()
        bytes.append(contentsOf: json)
    }

    mutating func string(_ value: String) {
        separate()
        Self.appendString(value, to: &bytes)
    }

    mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Finite numbers with up to 3 decimals (milliseconds and ratios); non-finite values become 0 to keep the
    /// document valid.
    mutating func number(_ value: Double) {
        separate()
        guard value.isFinite else {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        let rounded = (value * 1000).rounded() / 1000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 {
            bytes.append(contentsOf: String(Int(rounded)).utf8)
        } else {
            bytes.append(contentsOf: String(rounded).utf8)
        }
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] {
            bytes.append(UInt8(ascii: ","))
        }
        needsComma[needsComma.count - 1] = true
    }

    /// Appends `value` as a JSON string. Runs of bytes that need no escaping (nearly all of them) are copied in
    /// bulk; only `"`, backslash and control characters are escaped.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        var text = value
        text.withUTF8 { appendString(utf8: $0, to: &bytes) }
    }

    /// The same for text already known to be valid UTF-8.
    static func appendString(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else {
                continue
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            appendEscape(byte, to: &bytes)
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        bytes.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ byte: UInt8, to bytes: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
        case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
        case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }
}
