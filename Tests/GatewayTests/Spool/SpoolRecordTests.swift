import Testing

@testable import Gateway

/// The spool's record codec and framing: what goes in comes out, and damage is recognised, not decoded.
@Suite struct SpoolRecordTests {
    static let events = [
        TelemetryEvent(
            deviceID: Array("sensor-1".utf8), priority: .high, data: Array(#"{"device_id":"sensor-1","value":1}"#.utf8)),
        TelemetryEvent(deviceID: Array("капля-2".utf8), priority: .medium, data: Array(#"{"value":2.5}"#.utf8)),
        TelemetryEvent(deviceID: Array("s3".utf8), priority: .low, data: []),
    ]

    private func framed(_ events: [TelemetryEvent] = events) -> [UInt8] {
        var bytes: [UInt8] = []
        SpoolRecord.append(events, to: &bytes)
        return bytes
    }

    /// Device IDs, priorities and data round-trip byte for byte.
    @Test func roundTrips() throws {
        let record = framed()
        let item = record.withUnsafeBytes { SegmentScan.item(in: $0, at: 0) }
        guard case .record(let payload, let end) = item else {
            Issue.record("not a record: \(item)")
            return
        }
        #expect(end == record.count)
        let decoded = try #require(
            record.withUnsafeBytes { SpoolRecord.decode(payload: UnsafeRawBufferPointer(rebasing: $0[payload])) })
        #expect(decoded.map(\.deviceID) == Self.events.map(\.deviceID))
        #expect(decoded.map(\.priority) == Self.events.map(\.priority))
        #expect(decoded.map(\.data) == Self.events.map(\.data))
        #expect(
            record.withUnsafeBytes { SpoolRecord.eventCount(payload: UnsafeRawBufferPointer(rebasing: $0[payload])) }
                == 3)
    }

    /// Records appended back to back are read back one after the other.
    @Test func consecutiveRecords() {
        var bytes = framed()
        let first = bytes.count
        SpoolRecord.append([Self.events[1]], to: &bytes)
        let (first2, second) = bytes.withUnsafeBytes { raw -> (SegmentScan.Item, SegmentScan.Item?) in
            let item = SegmentScan.item(in: raw, at: 0)
            guard case .record(_, let end) = item else { return (item, nil) }
            return (item, SegmentScan.item(in: raw, at: end))
        }
        #expect(first2 == .record(payload: SpoolRecord.headerBytes..<first, end: first))
        guard case .record(_, let end)? = second else {
            Issue.record("no second record: \(String(describing: second))")
            return
        }
        #expect(end == bytes.count)
    }

    /// Any prefix of a record is incomplete, never a record.
    @Test func everyPrefixIsIncomplete() {
        let record = framed()
        for length in 0..<record.count {
            let item = Array(record[..<length]).withUnsafeBytes { SegmentScan.item(in: $0, at: 0) }
            #expect(item == .incomplete, "prefix of \(length) bytes")
        }
    }

    /// A flipped bit anywhere in the length, CRC or payload makes the record corrupt (or, in the length, incomplete
    /// or corrupt), never a different valid record.
    @Test func everyFlippedByteIsDetected() {
        let record = framed()
        for index in record.indices {
            var damaged = record
            damaged[index] ^= 0x10
            let item = damaged.withUnsafeBytes { SegmentScan.item(in: $0, at: 0) }
            #expect(item == .corrupt || item == .incomplete, "byte \(index)")
        }
    }

    /// Zeros where a record should be (a file extended by a crash before its data reached the disk) are not an
    /// empty record: the CRC covers the length.
    @Test func zerosAreNotARecord() {
        let zeros = [UInt8](repeating: 0, count: 64)
        #expect(zeros.withUnsafeBytes { SegmentScan.item(in: $0, at: 0) } == .corrupt)
    }

    /// After damage, the scan finds where the next valid record starts.
    @Test func resynchronizesAfterDamage() {
        var bytes = framed()
        let second = bytes.count
        SpoolRecord.append([Self.events[0]], to: &bytes)
        bytes[10] ^= 0xFF
        #expect(bytes.withUnsafeBytes { SegmentScan.resynchronize(in: $0, after: 0) } == second)
        #expect(bytes.withUnsafeBytes { SegmentScan.resynchronize(in: $0, after: second) } == nil)
    }

    /// A payload with bytes after its last event, or an unknown priority, is refused.
    @Test func decodeRefusesMalformedPayloads() {
        var payload: [UInt8] = [SpoolRecord.version]
        SpoolRecord.appendLittleEndian(UInt32(0), to: &payload)
        #expect(payload.withUnsafeBytes { SpoolRecord.decode(payload: $0) }?.isEmpty == true)
        #expect((payload + [0]).withUnsafeBytes { SpoolRecord.decode(payload: $0) } == nil)
        var badPriority: [UInt8] = [SpoolRecord.version]
        SpoolRecord.appendLittleEndian(UInt32(1), to: &badPriority)
        badPriority += [7, 0, 0, 0, 0, 0, 0]
        #expect(badPriority.withUnsafeBytes { SpoolRecord.decode(payload: $0) } == nil)
    }
}
