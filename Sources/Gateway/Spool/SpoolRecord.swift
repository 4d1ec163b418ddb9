/// One spooled request on disk: its validated events in their stored form, framed so that a torn or damaged record
/// is recognised.
///
/// ```
/// record  = length:u32le  crc:u32le  payload[length]
///           crc is CRC-32C over the 4 length bytes and then the payload
/// payload = version:u8 (1)  count:u32le  event[count]
/// event   = priority:u8 (0 HIGH, 1 MEDIUM, 2 LOW)  idLength:u16le  deviceID  dataLength:u32le  data
/// ```
///
/// The length comes first so that a reader knows where the record ends before it has the bytes; the CRC covers the
/// length too, so a zero-filled tail (a file extended by a crash before its data reached the disk) never passes for
/// an empty record. `data` is exactly the JSON the direct path stores, so a replayed event is indistinguishable from
/// one written straight to Redis.
enum SpoolRecord {
    static let headerBytes = 8
    static let version: UInt8 = 1
    /// A length above this is damage, not data: a request is at most `--max-decoded-body` (4 MiB by default) of
    /// events, and the limit stops a corrupt length from making recovery allocate gigabytes.
    static let maxPayloadBytes = 256 << 20

    /// Appends the framed record of `events` to `buffer` and returns its size in bytes.
    @discardableResult
    static func append(_ events: [TelemetryEvent], to buffer: inout [UInt8]) -> Int {
        let start = buffer.count
        var payloadLength = 5
        for event in events { payloadLength += 7 + event.deviceID.count + event.data.count }
        buffer.reserveCapacity(start + headerBytes + payloadLength)
        appendLittleEndian(UInt32(payloadLength), to: &buffer)
        appendLittleEndian(UInt32(0), to: &buffer)  // the CRC, filled in below
        buffer.append(version)
        appendLittleEndian(UInt32(events.count), to: &buffer)
        for event in events {
            buffer.append(event.priority.code)
            appendLittleEndian(UInt16(event.deviceID.count), to: &buffer)
            buffer.append(contentsOf: event.deviceID)
            appendLittleEndian(UInt32(event.data.count), to: &buffer)
            buffer.append(contentsOf: event.data)
        }
        let crc = buffer.withUnsafeBytes { bytes in
            let length = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + 4)])
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(start + headerBytes)...])
            return CRC32C.checksum(payload, continuing: CRC32C.checksum(length))
        }
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: start + 4, as: UInt32.self) }
        return buffer.count - start
    }

    /// Events in a payload, read from its header only (recovery counts without decoding); nil if malformed.
    static func eventCount(payload: UnsafeRawBufferPointer) -> Int? {
        guard payload.count >= 5, payload[0] == version else { return nil }
        return Int(readLittleEndian(payload, at: 1, as: UInt32.self))
    }

    /// The events of a payload whose CRC already matched; nil if it is not a payload this version wrote.
    static func decode(payload: UnsafeRawBufferPointer) -> [TelemetryEvent]? {
        guard let count = eventCount(payload: payload) else { return nil }
        var events: [TelemetryEvent] = []
        events.reserveCapacity(min(count, payload.count / 7))
        var offset = 5
        for _ in 0..<count {
            guard offset + 3 <= payload.count, let priority = TelemetryPriority(code: payload[offset]) else {
                return nil
            }
            let idLength = Int(readLittleEndian(payload, at: offset + 1, as: UInt16.self))
            offset += 3
            guard offset + idLength + 4 <= payload.count else { return nil }
            let deviceID = Array(payload[offset..<(offset + idLength)])
            offset += idLength
            let dataLength = Int(readLittleEndian(payload, at: offset, as: UInt32.self))
            offset += 4
            guard dataLength <= payload.count - offset else { return nil }
            let data = Array(payload[offset..<(offset + dataLength)])
            offset += dataLength
            events.append(TelemetryEvent(deviceID: deviceID, priority: priority, data: data))
        }
        return offset == payload.count ? events : nil
    }

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    static func readLittleEndian<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, at offset: Int, as: T.Type) -> T
    {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension TelemetryPriority {
    /// The priority's byte in a spool record.
    var code: UInt8 {
        switch self {
        case .high: 0
        case .medium: 1
        case .low: 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .high
        case 1: self = .medium
        case 2: self = .low
        default: return nil
        }
    }
}
