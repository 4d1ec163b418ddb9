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
            let common = memcmp(
                text.baseAddress! + a.lowerBound, text.baseAddress! + b.lowerBound, min(a.count, b.count))
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

    /// The whole line through one `LineWriter`, within a bound computed from the pieces.
    private func writeLine(_ bytes: UnsafeBufferPointer<UInt8>, time: Int64, to out: inout [UInt8]) {
        let scan = scratch.scan
        func floatBound(_ literal: Range<Int>, _ number: Double?) -> Int {
            number == nil ? literal.count + 2 : LineWriter.maxFloatBytes
        }
        var bound =
            escapedMeasurement.count + Self.valueField.count + floatBound(scan.value!, scan.valueNumber) + 1
            + LineWriter.maxDecimalBytes
        for tag in scratch.tags { bound += 2 + 2 * (tag.name.count + tag.value.count) }
        for field in scratch.fields {
            let member = scan.metadata[field.member]
            bound += 2 + 2 * field.name.count
            bound += member.kind == .number ? floatBound(member.value, member.number) : 2 * member.value.count + 2
        }
        scratch.text.withUnsafeBufferPointer { text in
            LineWriter.append(to: &out, atMost: bound) { writer in
                writer.bytes(escapedMeasurement)
                for tag in scratch.tags {
                    writer.byte(UInt8(ascii: ","))
                    writer.escaped(UnsafeBufferPointer(rebasing: text[tag.name]), escapingEquals: true)
                    writer.byte(UInt8(ascii: "="))
                    writer.escaped(UnsafeBufferPointer(rebasing: text[tag.value]), escapingEquals: true)
                }
                writer.bytes(Self.valueField)
                Self.writeNumber(bytes, scan.value!, scan.valueNumber, to: &writer)
                for field in scratch.fields {
                    writer.byte(UInt8(ascii: ","))
                    writer.escaped(UnsafeBufferPointer(rebasing: text[field.name]), escapingEquals: true)
                    writer.byte(UInt8(ascii: "="))
                    let member = scan.metadata[field.member]
                    let value = UnsafeBufferPointer(rebasing: bytes[member.value])
                    switch member.kind {
                    case .string: writer.stringField(value)
                    case .number: Self.writeNumber(bytes, member.value, member.number, to: &writer)
                    case .boolean: writer.bytes(value)  // `true` or `false`, as written
                    }
                }
                writer.byte(UInt8(ascii: " "))
                writer.decimal(time)
            }
        }
    }

    /// A number as the general path writes it: from its literal when that is the same text, else converted.
    private static func writeNumber(
        _ bytes: UnsafeBufferPointer<UInt8>, _ literal: Range<Int>, _ number: Double?, to writer: inout LineWriter
    ) {
        if let number {
            writer.float(number)
        } else {
            let literal = UnsafeBufferPointer(rebasing: bytes[literal])
            writer.float(literal: literal, LineProtocol.SimpleFloatLiteral(literal)!)
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
