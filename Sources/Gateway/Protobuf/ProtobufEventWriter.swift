import Glibc

/// Validates one decoded `TelemetrySample` under the same rules as a JSON event and writes the event the JSON path
/// would store for it, so consumers of the stream cannot tell the formats apart.
///
/// The stored `data` is what the JSON path writes for this JSON event, members in this order:
/// `{"device_id":…,"value":…,"type":…,"unit":…,"priority":…,"timestamp":…,"sequence_id":…,"metadata":{…}}`.
/// proto3 cannot tell an absent scalar from its default, so: `value` is always written (absent is 0.0);
/// `sequence_id` is always written (0 is a real counter value); empty `type` and `unit` are left out, as is
/// `metadata` without entries; `timestamp` comes from `timestamp_us`, else `batch_timestamp_us`, and is left out
/// when both are 0. Numbers are Swift's shortest round-trip spelling (`21.5`, `1.0`, `1e-07`).
struct ProtobufEventWriter {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: TelemetryLimits
    let receivedAt: [UInt8]
    /// Where each event's JSON is written before it is copied out at its exact size.
    let scratch = EventJSONScratch()

    private static let priorities: [TelemetryPriority] = [.medium, .low, .medium, .high]

    func event(
        _ sample: ProtobufSample, metadata: [ProtobufSample.MetadataEntry], batchDeviceID: Range<Int>?,
        batchTimestampMicros: Int64, path: SamplePath
    ) throws(TelemetryValidationError) -> TelemetryEvent {
        let deviceIDRange = sample.deviceID.flatMap { $0.isEmpty ? nil : $0 } ?? batchDeviceID
        guard let deviceIDRange, !deviceIDRange.isEmpty else { throw .field(path.member("device_id"), .empty) }
        if deviceIDRange == sample.deviceID { try checkDeviceID(deviceIDRange, name: path.member("device_id")) }
        guard sample.value.isFinite else { throw .field(path.member("value"), .expectedFiniteNumber) }
        if let type = sample.type, !UTF8Check.isValid(slice(type)) { throw .field(path.member("type"), .invalidUTF8) }
        if let unit = sample.unit, !UTF8Check.isValid(slice(unit)) { throw .field(path.member("unit"), .invalidUTF8) }
        guard sample.priority < 4 else { throw .field(path.member("priority"), .expectedPriorityNumber) }
        let timestamp = sample.timestampMicros != 0 ? sample.timestampMicros : batchTimestampMicros
        guard timestamp == 0 || RFC3339.microsecondRange.contains(timestamp) else {
            let name = sample.timestampMicros != 0 ? path.member("timestamp_us") : "batch_timestamp_us"
            throw .field(name, .timestampOutOfRange)
        }
        guard sample.sequenceID <= UInt64(UInt32.max) else { throw .field(path.member("sequence_id"), .expectedUInt32) }
        try checkMetadata(metadata, path: path)

        let priority = Self.priorities[Int(sample.priority)]
        // Every output byte is bounded: strings by their escaped worst case, numbers by the longest spelling, the
        // rest by the fixed member names (`fixedBytes`) and a few punctuation bytes per metadata entry.
        var stringBytes = deviceIDRange.count + (sample.type?.count ?? 0) + (sample.unit?.count ?? 0)
        for entry in metadata {
            stringBytes += entry.key.count
            if case .string(let range) = entry.value { stringBytes += range.count }
        }
        let maxBytes =
            Self.fixedBytes + receivedAt.count + EventJSONWriter.maxEscapedBytesPerByte * stringBytes
            + metadata.count * (Self.metadataEntryBytes + EventJSONWriter.maxNumberBytes)
        let data = scratch.write(maxBytes: maxBytes) { out in
            out.append(#"{"device_id":"#)
            out.appendString(slice(deviceIDRange))
            out.append(#","value":"#)
            out.appendNumber(sample.value)
            if let type = sample.type, !type.isEmpty {
                out.append(#","type":"#)
                out.appendString(slice(type))
            }
            if let unit = sample.unit, !unit.isEmpty {
                out.append(#","unit":"#)
                out.appendString(slice(unit))
            }
            out.append(#","priority":""#)
            out.append(Self.spelling(of: priority))
            out.append(UInt8(ascii: "\""))
            if timestamp != 0 {
                out.append(#","timestamp":""#)
                out.appendTimestamp(epochMicroseconds: timestamp)
                out.append(UInt8(ascii: "\""))
            }
            out.append(#","sequence_id":"#)
            out.appendDecimal(sample.sequenceID)
            if !metadata.isEmpty {
                out.append(#","metadata":"#)
                for (index, entry) in metadata.enumerated() {
                    out.append(UInt8(ascii: index == 0 ? "{" : ","))
                    out.appendString(slice(entry.key))
                    out.append(UInt8(ascii: ":"))
                    switch entry.value {
                    case .string(let range): out.appendString(slice(range))
                    case .number(let number): out.appendNumber(number)
                    case .bool(let flag): out.append(flag ? "true" : "false")
                    case .none: preconditionFailure("checked by checkMetadata")
                    }
                }
                out.append(UInt8(ascii: "}"))
            }
            out.append(#","received_at":""#)
            receivedAt.withUnsafeBufferPointer { out.append($0) }
            out.append(#""}"#)
        }
        return TelemetryEvent(deviceID: Array(slice(deviceIDRange)), priority: priority, data: data)
    }

    /// Member names, quotes and the longest fixed values of an event without metadata entries: under 250 bytes,
    /// with room to spare.
    private static let fixedBytes = 320
    /// Quotes, colon and comma of one metadata entry, with `false` as the longest non-string, non-number value.
    private static let metadataEntryBytes = 10

    private static func spelling(of priority: TelemetryPriority) -> StaticString {
        switch priority {
        case .high: "HIGH"
        case .medium: "MEDIUM"
        case .low: "LOW"
        }
    }

    /// The JSON path's device ID rule: 1 to `maxDeviceIDBytes` bytes, no control characters; and, as every
    /// protobuf string, valid UTF-8.
    func checkDeviceID(_ range: Range<Int>, name path: @autoclosure () -> String) throws(TelemetryValidationError) {
        guard range.count >= 1 && range.count <= limits.maxDeviceIDBytes else {
            throw .field(path(), .lengthOutOfRange(maxBytes: limits.maxDeviceIDBytes))
        }
        guard UTF8Check.isValid(slice(range)) else { throw .field(path(), .invalidUTF8) }
        for index in range where bytes[index] < 0x20 || bytes[index] == 0x7F {
            throw .field(path(), .controlCharacter)
        }
    }

    /// Keys must be UTF-8 and unique (as in a JSON object); values set, finite and UTF-8.
    private func checkMetadata(
        _ entries: [ProtobufSample.MetadataEntry], path: SamplePath
    ) throws(TelemetryValidationError) {
        var seen = Set<[UInt8]>()
        for (index, entry) in entries.enumerated() {
            let key = slice(entry.key)
            guard UTF8Check.isValid(key) else { throw .field(path.member("metadata"), .invalidUTF8) }
            // Built only for a refusal: a valid entry costs no String.
            func place() -> String { path.member("metadata.\(ProtobufEventWriter.messageName(key))") }
            switch entry.value {
            case .none: throw .field(place(), .expectedMetadataValue)
            case .number(let number) where !number.isFinite: throw .field(place(), .expectedFiniteNumber)
            case .string(let range) where !UTF8Check.isValid(slice(range)): throw .field(place(), .invalidUTF8)
            default: break
            }
            // Against the earlier keys for the handful of entries devices send; a set past that keeps crafted
            // bodies linear.
            if entries.count <= 8 {
                for other in entries[0..<index]
                where other.key.count == key.count
                    && memcmp(key.baseAddress!, bytes.baseAddress! + other.key.lowerBound, key.count) == 0
                {
                    throw .field(place(), .duplicate)
                }
            } else if !seen.insert(Array(key)).inserted {
                throw .field(place(), .duplicate)
            }
        }
    }

    private func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// A metadata key as it appears in a message: valid UTF-8, cut after 64 bytes like the JSON path's keys.
    private static func messageName(_ key: UnsafeBufferPointer<UInt8>) -> String {
        guard key.count > 64 else { return String(decoding: key, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: key[0..<64]), as: UTF8.self) + "..."
    }
}
