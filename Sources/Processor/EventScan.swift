import Glibc

/// The `data` JSON of one entry as offsets into its bytes, for the encoder's fast path (`PointEncoder.appendFast`).
///
/// `EventJSONParser` builds a `String` per member, a `Set` of the keys seen and a `Dictionary` of the metadata:
/// together about a third of the processor's CPU per event (perf, 200,000-entry drain). The points need none of
/// them: every string the gateway stores is plain ASCII without escapes, so its bytes go into the line as they are.
/// This scanner records where each member is and converts only the numbers.
///
/// It accepts strictly less than `EventJSONParser`: a string holding an escape, a control character or any byte
/// above 0x7F, a duplicate known key, `sequence_id`, nesting inside metadata, malformed JSON or a number that is not
/// a finite Double make it answer false, and the caller then takes the general path, which gives the same point
/// or the precise reason for the dead letter.
struct EventScan {
    enum Kind: Equatable {
        case string, number, boolean
    }

    /// One metadata member: for a string the range holds its text without the quotes; for a number or a boolean
    /// its literal.
    struct Member: Equatable {
        var key: Range<Int>
        var kind: Kind
        var value: Range<Int>
        /// A number's value, only when `LineProtocol.appendFloat(literal:to:)` cannot write its literal.
        var number: Double?
    }

    /// The literal of `value`, and its value only when the literal cannot be written as it is.
    var value: Range<Int>?
    var valueNumber: Double?
    var deviceID: Range<Int>?
    var type: Range<Int>?
    var unit: Range<Int>?
    var priority: Range<Int>?
    var timestamp: Range<Int>?
    var receivedAt: Range<Int>?
    /// In document order. Kept from event to event so that its storage is allocated once.
    var metadata: [Member] = []

    /// Top-level keys the point uses, one bit each, to refuse duplicates the way `EventJSONParser` does.
    private enum Known: UInt16 {
        case value = 1
        case deviceID = 2
        case type = 4
        case unit = 8
        case priority = 16
        case timestamp = 32
        case receivedAt = 64
        case metadata = 128
        case sequenceID = 256
    }

    /// Scans `bytes`; false when the fast path must not handle them.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        value = nil
        valueNumber = nil
        deviceID = nil
        type = nil
        unit = nil
        priority = nil
        timestamp = nil
        receivedAt = nil
        metadata.removeAll(keepingCapacity: true)
        seen = 0
        var reader = Reader(bytes: bytes)
        guard reader.object(members: { reader, key in scanMember(&reader, key: key) }) else { return false }
        reader.skipWhitespace()
        return reader.index == bytes.count && value != nil
    }

    private var seen: UInt16 = 0

    private mutating func scanMember(_ reader: inout Reader, key: Range<Int>) -> Bool {
        guard let known = Self.known(reader.bytes, key) else {
            // Unknown members are ignored, as Decodable does; only flat values.
            switch reader.scalar() {
            case .some(.number(let number, _)): return number?.isFinite ?? true
            case .some: return true
            case nil: return false
            }
        }
        guard seen & known.rawValue == 0 else { return false }
        seen |= known.rawValue
        if known == .metadata && reader.peek == UInt8(ascii: "{") {
            return reader.object { reader, key in scanMetadata(&reader, key: key) }
        }
        switch (known, reader.scalar()) {
        case (.value, .some(.number(let number, let range))):
            value = range
            valueNumber = number
            return number?.isFinite ?? true
        case (.deviceID, .some(.string(let range))): deviceID = range
        case (.type, .some(.string(let range))): type = range
        case (.unit, .some(.string(let range))): unit = range
        case (.priority, .some(.string(let range))): priority = range
        case (.timestamp, .some(.string(let range))): timestamp = range
        case (.receivedAt, .some(.string(let range))): receivedAt = range
        case (.deviceID, .some(.null)), (.type, .some(.null)), (.unit, .some(.null)), (.priority, .some(.null)),
            (.timestamp, .some(.null)), (.receivedAt, .some(.null)), (.metadata, .some(.null)):
            break
        default:
            return false  // a type mismatch, `sequence_id`, or malformed: the general path decides
        }
        return true
    }

    private mutating func scanMetadata(_ reader: inout Reader, key: Range<Int>) -> Bool {
        for member in metadata where reader.bytes.equal(member.key, key) { return false }
        switch reader.scalar() {
        case .some(.string(let range)):
            metadata.append(Member(key: key, kind: .string, value: range, number: 0))
        case .some(.number(let number, let range)) where number?.isFinite ?? true:
            metadata.append(Member(key: key, kind: .number, value: range, number: number))
        case .some(.boolean(let range)):
            metadata.append(Member(key: key, kind: .boolean, value: range, number: 0))
        default:
            return false
        }
        return true
    }

    private static func known(_ bytes: UnsafeBufferPointer<UInt8>, _ key: Range<Int>) -> Known? {
        switch key.count {
        case 4: bytes.equal(key, "type") ? .type : bytes.equal(key, "unit") ? .unit : nil
        case 5: bytes.equal(key, "value") ? .value : nil
        case 8: bytes.equal(key, "priority") ? .priority : bytes.equal(key, "metadata") ? .metadata : nil
        case 9: bytes.equal(key, "device_id") ? .deviceID : bytes.equal(key, "timestamp") ? .timestamp : nil
        case 11: bytes.equal(key, "received_at") ? .receivedAt : bytes.equal(key, "sequence_id") ? .sequenceID : nil
        default: nil
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    func equal(_ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount
            && memcmp(baseAddress! + range.lowerBound, text.utf8Start, range.count) == 0
    }

    func equal(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        a.count == b.count && memcmp(baseAddress! + a.lowerBound, baseAddress! + b.lowerBound, a.count) == 0
    }
}

/// The JSON grammar `EventScan` accepts, over raw bytes.
private struct Reader {
    enum Scalar {
        case string(Range<Int>)
        /// The value is nil when the literal can be written as it is (`LineProtocol.isSimpleFloatLiteral`).
        case number(Double?, Range<Int>)
        case boolean(Range<Int>)
        case null
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// `{ "key": value, ... }`, calling `member` with the reader positioned on each value.
    mutating func object(members member: (inout Reader, Range<Int>) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = string() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    mutating func scalar() -> Scalar? {
        guard let first = peek else { return nil }
        switch first {
        case UInt8(ascii: "\""): return string().map(Scalar.string)
        case UInt8(ascii: "t"): return literal("true").map(Scalar.boolean)
        case UInt8(ascii: "f"): return literal("false").map(Scalar.boolean)
        case UInt8(ascii: "n"): return literal("null").map { _ in .null }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return nil
        }
    }

    /// The text between the quotes; nil at an escape, a control character or a non-ASCII byte.
    mutating func string() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<(index - 1)
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        return nil
    }

    /// RFC 8259 number grammar, then the standard library's conversion (the same as `EventJSONParser`'s).
    mutating func number() -> Scalar? {
        let start = index
        _ = take(UInt8(ascii: "-"))
        if !take(UInt8(ascii: "0")) {
            guard digits() > 0 else { return nil }
        }
        if take(UInt8(ascii: ".")) { guard digits() > 0 else { return nil } }
        if let byte = peek, byte | 0x20 == UInt8(ascii: "e") {
            index += 1
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() > 0 else { return nil }
        }
        let literal = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if LineProtocol.isSimpleFloatLiteral(literal) { return .number(nil, start..<index) }
        guard let number = Double(String(decoding: literal, as: UTF8.self)) else { return nil }
        return .number(number, start..<index)
    }

    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = peek, byte &- UInt8(ascii: "0") < 10 { index += 1 }
        return index - start
    }

    private mutating func literal(_ word: StaticString) -> Range<Int>? {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count, bytes.equal(index..<(index + count), word) else { return nil }
        index += count
        return (index - count)..<index
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }
}
