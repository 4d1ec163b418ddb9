import RespClient

/// A stream entry ID, `<milliseconds>-<sequence>`, as Redis assigns it.
public struct StreamEntryID: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    public init?(_ text: some StringProtocol) {
        guard let dash = text.firstIndex(of: "-"),
            let milliseconds = UInt64(text[..<dash]),
            let sequence = UInt64(text[text.index(after: dash)...])
        else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }
}

/// One entry as read from the stream: its ID as Redis spelled it and its field/value pairs, raw. `fields` is nil
/// for an entry still pending in the group but already deleted from the stream (XREADGROUP answers `[id, nil]`).
public struct StreamEntry: Sendable {
    public var id: String
    public var fields: [(name: [UInt8], value: [UInt8])]?

    public init(id: String, fields: [(name: [UInt8], value: [UInt8])]?) {
        self.id = id
        self.fields = fields
    }

    /// The value of the first field called `name`.
    public func field(_ name: String) -> [UInt8]? {
        fields?.first { $0.name.elementsEqual(name.utf8) }?.value
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
                var fields: [(name: [UInt8], value: [UInt8])] = []
                fields.reserveCapacity(flat.count / 2)
                var index = 0
                while index + 1 < flat.count {
                    fields.append((bytes(flat[index]), bytes(flat[index + 1])))
                    index += 2
                }
                entries.append(StreamEntry(id: id, fields: fields))
            case .map(let pairs):
                entries.append(StreamEntry(id: id, fields: pairs.map { (bytes($0.key), bytes($0.value)) }))
            default:
                entries.append(StreamEntry(id: id, fields: nil))
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

    private static func bytes(_ value: RESPValue) -> [UInt8] {
        switch value {
        case .bulkString(let bytes): return bytes
        case .verbatimString(_, let text): return text
        default: return Array((value.string ?? "").utf8)
        }
    }
}
