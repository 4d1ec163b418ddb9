/// Where each member of an event object that will be stored sits in the body, so the compact `data` JSON can be
/// sized exactly and written with a single allocation once the object has been validated.
///
/// Validation comes first because nothing may be built for an object that is then refused, and an event has at most
/// one member per known field, so the spans fit inline.
struct EventDataLayout {
    private struct Member {
        /// `start..<end` is the member as sent (key through value), or only the key for `priority`.
        var start: Int
        var end: Int
        /// Bytes the member occupies once whitespace between tokens is dropped.
        var compactCount: Int
        /// Set for the `priority` member, whose value is written in its normalised form instead of copied.
        var priority: TelemetryPriority?
    }

    private var members = InlineArray<8, Member>(
        repeating: Member(start: 0, end: 0, compactCount: 0, priority: nil))
    private var memberCount = 0
    private var hasPriority = false

    /// Keeps the member from `start` to `end`, which contained `whitespace` bytes between its tokens.
    mutating func keep(from start: Int, to end: Int, whitespace: Int) {
        members[memberCount] = Member(start: start, end: end, compactCount: end - start - whitespace, priority: nil)
        memberCount += 1
    }

    /// Keeps the `priority` member: its key as sent, its value as `priority` spells it.
    mutating func keepPriority(key: JSONStringToken, _ priority: TelemetryPriority) {
        let valueCount = EventDataLayout.spelling(of: priority).utf8CodeUnitCount + 2
        members[memberCount] = Member(
            start: key.start, end: key.end, compactCount: key.end - key.start + 1 + valueCount, priority: priority)
        memberCount += 1
        hasPriority = true
    }

    /// The stored spelling, as static bytes so writing it involves no String.
    private static func spelling(of priority: TelemetryPriority) -> StaticString {
        switch priority {
        case .high: "HIGH"
        case .medium: "MEDIUM"
        case .low: "LOW"
        }
    }

    private static let defaultPriorityMember: StaticString = "\"priority\":\"MEDIUM\","
    private static let receivedAtKey: StaticString = "\"received_at\":\""

    /// The compact object: kept members in the order sent, `"priority":"MEDIUM"` when the client gave none, then
    /// `"received_at"` as the last member.
    func write(from bytes: UnsafeBufferPointer<UInt8>, receivedAt: [UInt8]) -> [UInt8] {
        var total = 1 + EventDataLayout.receivedAtKey.utf8CodeUnitCount + receivedAt.count + 2
        for index in 0..<memberCount {
            total += members[index].compactCount + 1
        }
        if !hasPriority {
            total += EventDataLayout.defaultPriorityMember.utf8CodeUnitCount
        }
        return [UInt8](unsafeUninitializedCapacity: total) { output, written in
            var writer = ByteWriter(output: output)
            writer.append(UInt8(ascii: "{"))
            for index in 0..<memberCount {
                let member = members[index]
                if let priority = member.priority {
                    writer.append(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end]))
                    writer.append(UInt8(ascii: ":"))
                    writer.append(UInt8(ascii: "\""))
                    writer.append(EventDataLayout.spelling(of: priority))
                    writer.append(UInt8(ascii: "\""))
                } else if member.compactCount == member.end - member.start {
                    writer.append(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end]))
                } else {
                    writer.appendCompacted(UnsafeBufferPointer(rebasing: bytes[member.start..<member.end]))
                }
                writer.append(UInt8(ascii: ","))
            }
            if !hasPriority {
                writer.append(EventDataLayout.defaultPriorityMember)
            }
            writer.append(EventDataLayout.receivedAtKey)
            receivedAt.withUnsafeBufferPointer { writer.append($0) }
            writer.append(UInt8(ascii: "\""))
            writer.append(UInt8(ascii: "}"))
            precondition(writer.count == total, "event data size was computed wrongly")
            written = writer.count
        }
    }
}

/// Appends into memory sized in advance; the caller's size computation is what keeps it in bounds.
private struct ByteWriter {
    let output: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(output: UnsafeMutableBufferPointer<UInt8>) {
        self.output = output
    }

    mutating func append(_ byte: UInt8) {
        output[count] = byte
        count += 1
    }

    mutating func append(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        (output.baseAddress! + count).initialize(from: base, count: source.count)
        count += source.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Copies validated JSON, leaving out whitespace between tokens but none inside strings.
    mutating func appendCompacted(_ source: UnsafeBufferPointer<UInt8>) {
        var inString = false
        var index = 0
        while index < source.count {
            let byte = source[index]
            if inString {
                append(byte)
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    append(source[index])
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                append(byte)
            } else if !JSONCursor.isWhitespace(byte) {
                append(byte)
            }
            index += 1
        }
    }
}
