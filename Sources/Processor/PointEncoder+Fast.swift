import Glibc

extension PointEncoder {
    /// What `appendFast` did.
    enum Appended: Equatable {
        case point(receivedAtMilliseconds: Int64?)
        /// Nothing written: the entry needs the general path (`encode(_:)`).
        case declined
    }

    /// The fast path's working space, kept from entry to entry so that a point costs no allocation.
    struct Scratch {
        var scan = EventScan()
        /// The names and values of the point's tags and the names of its fields, back to back.
        var text: [UInt8] = []
        var tags: [(name: Range<Int>, value: Range<Int>)] = []
        /// A field's name in `text` and its member in `scan.metadata`.
        var fields: [(name: Range<Int>, member: Int)] = []
    }

    /// Appends the entry's line (without the newline) to `out` and returns `.point`, or writes nothing and returns
    /// `.declined`. Given the same entry it writes exactly the bytes `encode(_:)` produces (tests compare both on a
    /// table of inputs), and it declines everything else: what `EventScan` declines, stream fields that are not
    /// ASCII, a metadata tag that is not a string, two tags or two fields with one name, and every entry the
    /// general path would dead-letter (which then words the reason).
    mutating func appendFast(_ entry: StreamEntry, id: StreamEntryID, to out: inout [UInt8]) -> Appended {
        guard fastPathEnabled, let flat = entry.flatFields else { return .declined }
        // The first field of each name, in one pass (`StreamEntry.field` would make three).
        var data: [UInt8]?
        var deviceField: [UInt8]?
        var priorityField: [UInt8]?
        var index = 0
        while index + 1 < flat.count {
            let name = StreamEntry.bytes(flat[index])
            if data == nil && name == Self.dataName {
                data = StreamEntry.bytes(flat[index + 1])
            } else if deviceField == nil && name == Self.deviceIDName {
                deviceField = StreamEntry.bytes(flat[index + 1])
            } else if priorityField == nil && name == Self.priorityName {
                priorityField = StreamEntry.bytes(flat[index + 1])
            }
            index += 2
        }
        guard let data else { return .declined }
        return data.withUnsafeBufferPointer { bytes in
            guard scratch.scan.scan(bytes) else { return .declined }
            let receivedAt = scratch.scan.receivedAt.flatMap {
                Timestamp.epochMilliseconds(UnsafeBufferPointer(rebasing: bytes[$0]))
            }
            let eventTime: Int64
            if let range = scratch.scan.timestamp {
                guard let parsed = Timestamp.epochMilliseconds(UnsafeBufferPointer(rebasing: bytes[range])) else {
                    return .declined
                }
                eventTime = parsed
            } else if let receivedAt {
                eventTime = receivedAt
            } else {
                return .declined
            }
            let (scaled, overflow) = eventTime.multipliedReportingOverflow(by: 1_000_000)
            let subMillisecond = Int64(id.milliseconds % 1000) * 1000 + Int64(id.sequence % 1000)
            guard !overflow, scaled <= Int64.max - subMillisecond else { return .declined }
            guard collectTagsAndFields(bytes, deviceField: deviceField, priorityField: priorityField) else {
                return .declined
            }
            writeLine(bytes, time: scaled + subMillisecond, to: &out)
            return .point(receivedAtMilliseconds: receivedAt)
        }
    }

    /// Fills `scratch.tags` and `scratch.fields`, sorted by name, with the same choices as `encode(_:)`.
    private mutating func collectTagsAndFields(
        _ bytes: UnsafeBufferPointer<UInt8>, deviceField: [UInt8]?, priorityField: [UInt8]?
    ) -> Bool {
        scratch.text.removeAll(keepingCapacity: true)
        scratch.tags.removeAll(keepingCapacity: true)
        scratch.fields.removeAll(keepingCapacity: true)
        let scan = scratch.scan
        if let deviceField {
            guard !deviceField.isEmpty, deviceField.allSatisfy({ $0 < 0x80 }) else { return false }
            addTag(Self.deviceIDName, deviceField[...])
        } else {
            guard let range = scan.deviceID, !range.isEmpty else { return false }
            addTag(Self.deviceIDName, bytes[range])
        }
        // Added in name order, so that without metadata tags the sort below finds them sorted.
        if let priorityField {
            guard priorityField.allSatisfy({ $0 < 0x80 }) else { return false }
            addTag(Self.priorityName, priorityField[...])
        } else if let range = scan.priority {
            addTag(Self.priorityName, bytes[range])
        }
        if let range = scan.type { addTag(Self.typeName, bytes[range]) }
        if let range = scan.unit { addTag(Self.unitName, bytes[range]) }
        for (index, member) in scan.metadata.enumerated() {
            let key = bytes[member.key]
            let isTag = tagKeyBytes.contains { $0.elementsEqual(key) }
            let start = scratch.text.count
            if Self.reservedNameBytes.contains(where: { $0.elementsEqual(key) }) {
                scratch.text.append(contentsOf: Self.metadataPrefix)
            }
            scratch.text.append(contentsOf: key)
            let name = start..<scratch.text.count
            if isTag {
                guard member.kind == .string else { return false }  // the general path writes its tag text
                addTag(name: name, bytes[member.value])
            } else {
                scratch.fields.append((name, index))
            }
        }
        // Equal names (metadata keys `type` and `metadata_type`): which one the general path's unstable sort puts
        // first is not for this path to guess.
        let text = scratch.text
        return text.withUnsafeBufferPointer { text in
            Self.sortStrictly(&scratch.tags, text) { $0.name } && Self.sortStrictly(&scratch.fields, text) { $0.name }
        }
    }

    /// Sorts a handful of items by name (insertion sort: `sort`'s general algorithm cost a thousand instructions
    /// per point here, callgrind); false when two names are equal.
    private static func sortStrictly<Item>(
        _ items: inout [Item], _ text: UnsafeBufferPointer<UInt8>, name: (Item) -> Range<Int>
    ) -> Bool {
        func order(_ a: Range<Int>, _ b: Range<Int>) -> Int {
            let common = memcmp(text.baseAddress! + a.lowerBound, text.baseAddress! + b.lowerBound, min(a.count, b.count))
            return common != 0 ? Int(common) : a.count - b.count
        }
        guard items.count > 1 else { return true }
        for index in 1..<items.count {
            var position = index
            while position > 0 {
                let comparison = order(name(items[position - 1]), name(items[position]))
                if comparison == 0 { return false }
                if comparison < 0 { break }
                items.swapAt(position - 1, position)
                position -= 1
            }
        }
        return true
    }

    /// Line protocol has no empty tag values: an empty tag is left out, as in `encode(_:)`.
    private mutating func addTag(_ name: [UInt8], _ value: some Collection<UInt8>) {
        let start = scratch.text.count
        scratch.text.append(contentsOf: name)
        addTag(name: start..<scratch.text.count, value)
    }

    private mutating func addTag(name: Range<Int>, _ value: some Collection<UInt8>) {
        guard !value.isEmpty else { return }
        let start = scratch.text.count
        scratch.text.append(contentsOf: value)
        scratch.tags.append((name, start..<scratch.text.count))
    }

    private func writeLine(_ bytes: UnsafeBufferPointer<UInt8>, time: Int64, to out: inout [UInt8]) {
        let text = scratch.text
        out.append(contentsOf: escapedMeasurement)
        for tag in scratch.tags {
            out.append(UInt8(ascii: ","))
            LineProtocol.appendKey(text[tag.name], to: &out)
            out.append(UInt8(ascii: "="))
            LineProtocol.appendKey(text[tag.value], to: &out)
        }
        out.append(contentsOf: Self.valueField)
        Self.appendNumber(bytes, scratch.scan.value!, scratch.scan.valueNumber, to: &out)
        for field in scratch.fields {
            out.append(UInt8(ascii: ","))
            LineProtocol.appendKey(text[field.name], to: &out)
            out.append(UInt8(ascii: "="))
            let member = scratch.scan.metadata[field.member]
            switch member.kind {
            case .string: LineProtocol.appendStringField(bytes[member.value], to: &out)
            case .number: Self.appendNumber(bytes, member.value, member.number, to: &out)
            case .boolean: out.append(contentsOf: bytes[member.value])  // `true` or `false`, as written
            }
        }
        out.append(UInt8(ascii: " "))
        LineProtocol.appendDecimal(time, to: &out)
    }

    /// A number as the general path writes it: from its literal when that is the same text, else converted.
    private static func appendNumber(
        _ bytes: UnsafeBufferPointer<UInt8>, _ literal: Range<Int>, _ number: Double?, to out: inout [UInt8]
    ) {
        if let number {
            LineProtocol.appendFloat(number, to: &out)
        } else {
            let written = LineProtocol.appendFloat(literal: UnsafeBufferPointer(rebasing: bytes[literal]), to: &out)
            assert(written, "EventScan keeps no value only for simple literals")
        }
    }

    static let dataName = Array("data".utf8)
    static let deviceIDName = Array("device_id".utf8)
    static let priorityName = Array("priority".utf8)
    static let typeName = Array("type".utf8)
    static let unitName = Array("unit".utf8)
    static let metadataPrefix = Array("metadata_".utf8)
    static let valueField = Array(" value=".utf8)
    static let reservedNameBytes = reservedNames.map { Array($0.utf8) }
}
