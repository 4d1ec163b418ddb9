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
        var data: [UInt8] = []
        data.reserveCapacity(160 + deviceIDRange.count + (sample.unit?.count ?? 0) + (sample.type?.count ?? 0)
            + metadata.reduce(0) { $0 + $1.key.count + 24 + ($1.value.stringRange?.count ?? 0) })
        data.append(contentsOf: #"{"device_id":"#.utf8)
        JSONWriter.appendString(utf8: slice(deviceIDRange), to: &data)
        data.append(contentsOf: #","value":"#.utf8)
        data.append(contentsOf: sample.value.description.utf8)
        if let type = sample.type, !type.isEmpty {
            data.append(contentsOf: #","type":"#.utf8)
            JSONWriter.appendString(utf8: slice(type), to: &data)
        }
        if let unit = sample.unit, !unit.isEmpty {
            data.append(contentsOf: #","unit":"#.utf8)
            JSONWriter.appendString(utf8: slice(unit), to: &data)
        }
        data.append(contentsOf: #","priority":""#.utf8)
        data.append(contentsOf: priority.rawValue.utf8)
        data.append(UInt8(ascii: "\""))
        if timestamp != 0 {
            data.append(contentsOf: #","timestamp":""#.utf8)
            _ = RFC3339.append(epochMicroseconds: timestamp, to: &data)
            data.append(UInt8(ascii: "\""))
        }
        data.append(contentsOf: #","sequence_id":"#.utf8)
        data.append(contentsOf: String(sample.sequenceID).utf8)
        if !metadata.isEmpty {
            data.append(contentsOf: #","metadata":"#.utf8)
            for (index, entry) in metadata.enumerated() {
                data.append(UInt8(ascii: index == 0 ? "{" : ","))
                JSONWriter.appendString(utf8: slice(entry.key), to: &data)
                data.append(UInt8(ascii: ":"))
                switch entry.value {
                case .string(let range): JSONWriter.appendString(utf8: slice(range), to: &data)
                case .number(let number): data.append(contentsOf: number.description.utf8)
                case .bool(let flag): data.append(contentsOf: (flag ? "true" : "false").utf8)
                case .none: preconditionFailure("checked by checkMetadata")
                }
            }
            data.append(UInt8(ascii: "}"))
        }
        data.append(contentsOf: #","received_at":""#.utf8)
        data.append(contentsOf: receivedAt)
        data.append(contentsOf: #""}"#.utf8)
        return TelemetryEvent(deviceID: Array(slice(deviceIDRange)), priority: priority, data: data)
    }

    /// The JSON path's device ID rule: 1 to `maxDeviceIDBytes` bytes, no control characters; and, as every
    /// protobuf string, valid UTF-8.
    func checkDeviceID(_ range: Range<Int>, name path: String) throws(TelemetryValidationError) {
        guard range.count >= 1 && range.count <= limits.maxDeviceIDBytes else {
            throw .field(path, .lengthOutOfRange(maxBytes: limits.maxDeviceIDBytes))
        }
        guard UTF8Check.isValid(slice(range)) else { throw .field(path, .invalidUTF8) }
        for index in range where bytes[index] < 0x20 || bytes[index] == 0x7F {
            throw .field(path, .controlCharacter)
        }
    }

    /// Keys must be UTF-8 and unique (as in a JSON object); values set, finite and UTF-8.
    private func checkMetadata(_ entries: [ProtobufSample.MetadataEntry], path: SamplePath) throws(TelemetryValidationError) {
        var seen = Set<[UInt8]>()
        for entry in entries {
            let key = slice(entry.key)
            guard UTF8Check.isValid(key) else { throw .field(path.member("metadata"), .invalidUTF8) }
            let place = path.member("metadata.\(ProtobufEventWriter.messageName(key))")
            switch entry.value {
            case .none: throw .field(place, .expectedMetadataValue)
            case .number(let number) where !number.isFinite: throw .field(place, .expectedFiniteNumber)
            case .string(let range) where !UTF8Check.isValid(slice(range)): throw .field(place, .invalidUTF8)
            default: break
            }
            // Pairwise for the handful of entries devices send; a set past that keeps crafted bodies linear.
            if entries.count <= 8 {
                var count = 0
                for other in entries where slice(other.key).elementsEqual(key) { count += 1 }
                if count > 1 { throw .field(place, .duplicate) }
            } else if !seen.insert(Array(key)).inserted {
                throw .field(place, .duplicate)
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

extension ProtobufSample.MetadataValue {
    fileprivate var stringRange: Range<Int>? {
        if case .string(let range) = self { return range }
        return nil
    }
}
