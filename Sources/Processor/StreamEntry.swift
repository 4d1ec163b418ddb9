import RespClient

/// A stream entry ID, `<milliseconds>-<sequence>`, as Redis assigns it.
public struct StreamEntryID: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Digits, a dash, digits; nothing else (no sign, no spaces), as Redis writes it.
    public init?(_ text: some StringProtocol) {
        var parts: (UInt64, UInt64) = (0, 0)
        var digits = (0, 0)
        var inSequence = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "-") && !inSequence {
                inSequence = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            if inSequence {
                guard let next = Self.appending(digit, to: parts.1) else { return nil }
                parts.1 = next
                digits.1 += 1
            } else {
                guard let next = Self.appending(digit, to: parts.0) else { return nil }
                parts.0 = next
                digits.0 += 1
            }
        }
        guard digits.0 > 0, digits.1 > 0 else { return nil }
        self.init(milliseconds: parts.0, sequence: parts.1)
    }

    private static func appending(_ digit: UInt8, to value: UInt64) -> UInt64? {
        let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
        let (sum, carry) = times10.addingReportingOverflow(UInt64(digit))
        return overflow || carry ? nil : sum
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }
}

/// One entry as read from the stream: its ID as Redis spelled it and its field/value pairs, raw. The pairs are nil
/// for an entry still pending in the group but already deleted from the stream (XREADGROUP answers `[id, nil]`).
///
/// The pairs stay the reply's own flat array `[name, value, name, value, ...]` of bulk strings: copying them into
/// an array of tuples cost an allocation and six reference counts per entry, for no reader that needs it.
public struct StreamEntry: Sendable {
    public var id: String
    var flatFields: [RESPValue]?

    public init(id: String, fields: [(name: [UInt8], value: [UInt8])]?) {
        self.id = id
        flatFields = fields.map { $0.flatMap { [RESPValue.bulkString($0.name), .bulkString($0.value)] } }
    }

    init(id: String, flatFields: [RESPValue]?) {
        self.id = id
        self.flatFields = flatFields
    }

    /// Whether the entry still exists in the stream.
    var exists: Bool { flatFields != nil }

    /// The pairs, in the order Redis sent them.
    public var fields: [(name: [UInt8], value: [UInt8])]? {
        guard let flat = flatFields else { return nil }
        return stride(from: 0, to: flat.count - 1, by: 2).map { (Self.bytes(flat[$0]), Self.bytes(flat[$0 + 1])) }
    }

    /// The value of the first field called `name`.
    public func field(_ name: String) -> [UInt8]? {
        field(Array(name.utf8))
    }

    func field(_ name: [UInt8]) -> [UInt8]? {
        guard let flat = flatFields else { return nil }
        var index = 0
        while index + 1 < flat.count {
            if Self.bytes(flat[index]) == name { return Self.bytes(flat[index + 1]) }
            index += 2
        }
        return nil
    }

    /// The entries in a reply to XRANGE, XREADGROUP (one stream), XAUTOCLAIM's second element: an array of
    /// `[id, [field, value, ...]]`. Anything malformed is skipped: Redis does not send it.
    static func parseList(_ value: RESPValue) -> [StreamEntry] {
        guard case .array(let items) = value else { return [] }
        var entries: [StreamEntry] = []
        entries.reserveCapacity(items.count)
        for item in items {
            guard case .array(let parts) = item, parts.count == 2, let id = parts[0].string else { continue }
            switch parts[1] {
            case .array(let flat), .set(let flat):
                entries.append(StreamEntry(id: id, flatFields: flat))
            case .map(let pairs):
                entries.append(StreamEntry(id: id, flatFields: pairs.flatMap { [$0.key, $0.value] }))
            default:
                entries.append(StreamEntry(id: id, flatFields: nil))
            }
        }
        return entries
    }

    /// The entries of an XREADGROUP reply for a single stream: a RESP3 map `{stream: entries}`, a RESP2 array
    /// `[[stream, entries]]`, or null when BLOCK timed out.
    static func parseReadGroup(_ value: RESPValue) -> [StreamEntry] {
        switch value {
        case .map(let pairs):
            return pairs.first.map { parseList($0.value) } ?? []
        case .array(let streams):
            guard case .array(let pair)? = streams.first, pair.count == 2 else { return [] }
            return parseList(pair[1])
        default:
            return []
        }
    }

    static func bytes(_ value: RESPValue) -> [UInt8] {
        switch value {
        case .bulkString(let bytes): return bytes
        case .verbatimString(_, let text): return text
        default: return Array((value.string ?? "").utf8)
        }
    }
}
