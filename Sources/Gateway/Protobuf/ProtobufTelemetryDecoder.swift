/// Turns an `application/x-protobuf` body, one `telemetry.TelemetryBatch` (proto/telemetry.proto), into the events to
/// store, or the reason it must be refused. Hand-written on the wire format: no generated code, no package.
///
/// Bounds: the schema nests four messages deep at most (batch, sample, metadata entry, metadata value) and the
/// decoder only ever reads those, each with its own reader; unknown fields are stepped over by length, never
/// parsed, so nesting inside them costs nothing however deep, and groups are refused. Samples are capped by
/// `maxBatch`, and everything else by the (inflated) body size.
///
/// Refusals come in wire order: the batch's own fields first (which checks every sample's length), then each
/// sample in turn, e.g. `samples[17].device_id: empty`.
public struct ProtobufTelemetryDecoder: Sendable {
    private let limits: TelemetryLimits

    /// Field numbers of `TelemetryBatch`, the platform's original schema.
    private enum Field: UInt32 {
        case samples = 1
        case deviceID = 2
        case batchTimestampMicros = 3
    }

    /// Bytes of the smallest sample on the wire (tag and zero length: every field defaulted). Dividing the body
    /// size by it bounds the sample count, so the ranges array is reserved once.
    private static let minimumSampleBytes = 2

    public init(limits: TelemetryLimits = .init()) {
        self.limits = limits
    }

    /// Decodes, validates and re-encodes every sample of `body`, all or nothing. A protobuf body is always a
    /// batch: it is stored in one MULTI/EXEC and answered with `{"ok":true,"accepted":N}`.
    /// - Parameter receivedAt: the RFC 3339 UTC text to add as `received_at` (see `RFC3339.format`).
    public func decode(
        _ body: UnsafeRawBufferPointer, receivedAt: [UInt8]
    ) throws(TelemetryValidationError)
        -> TelemetryBatch
    {
        let bytes = body.assumingMemoryBound(to: UInt8.self)
        var reader = ProtobufReader(bytes: bytes, range: 0..<bytes.count)
        var samples: [Range<Int>] = []
        samples.reserveCapacity(min(limits.maxBatch, bytes.count / Self.minimumSampleBytes))
        var sampleCount = 0
        var deviceID: Range<Int>?
        var batchTimestampMicros: Int64 = 0
        do {
            while let (number, wireType) = try reader.nextTag() {
                guard let field = Field(rawValue: number) else {
                    try reader.skip(wireType)
                    continue
                }
                let expected: ProtobufWireType = field == .batchTimestampMicros ? .varint : .lengthDelimited
                guard wireType == expected else {
                    let name = ["samples", "device_id", "batch_timestamp_us"][Int(number) - 1]
                    throw ProtobufRefusal.refusal(name, wireType, expected: expected)
                }
                switch field {
                case .samples:
                    let range = try reader.readLengthDelimited()
                    sampleCount += 1
                    if sampleCount <= limits.maxBatch { samples.append(range) }
                case .deviceID:
                    deviceID = try reader.readLengthDelimited()
                case .batchTimestampMicros:
                    batchTimestampMicros = Int64(bitPattern: try reader.readVarint())
                }
            }
        } catch let error as ProtobufWireError {
            throw ProtobufRefusal.refusal("body", error)
        } catch let error as TelemetryValidationError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        guard sampleCount > 0 else { throw TelemetryValidationError(message: "samples: empty batch") }
        guard sampleCount <= limits.maxBatch else {
            throw TelemetryValidationError(
                message: "samples: \(sampleCount) samples exceed the maximum batch of \(limits.maxBatch)")
        }

        let writer = ProtobufEventWriter(bytes: bytes, limits: limits, receivedAt: receivedAt)
        if let deviceID, !deviceID.isEmpty { try writer.checkDeviceID(deviceID, name: "device_id") }
        var events: [TelemetryEvent] = []
        events.reserveCapacity(samples.count)
        var metadata: [ProtobufSample.MetadataEntry] = []
        for (index, range) in samples.enumerated() {
            let path = SamplePath(index: index)
            var sampleReader = ProtobufReader(bytes: bytes, range: range)
            metadata.removeAll(keepingCapacity: true)
            let sample = try ProtobufSample(&sampleReader, metadata: &metadata, path: path)
            events.append(
                try writer.event(
                    sample, metadata: metadata, batchDeviceID: deviceID, batchTimestampMicros: batchTimestampMicros,
                    path: path))
        }
        return TelemetryBatch(events: events, isArray: true)
    }
}
