/// One `TelemetrySample` as found on the wire, before validation: scalars decoded, strings and metadata left as
/// byte ranges of the body. A singular field that appears more than once keeps its last value, as protobuf
/// specifies; fields this gateway does not know are skipped.
struct ProtobufSample {
    /// Field numbers of `TelemetrySample` in proto/telemetry.proto; 1–4 are the platform's original schema.
    enum Field: UInt32 {
        case timestampMicros = 1
        case value = 2
        case unit = 3
        case sequenceID = 4
        case type = 5
        case priority = 6
        case metadata = 7
        case deviceID = 8

        var name: String {
            switch self {
            case .timestampMicros: "timestamp_us"
            case .value: "value"
            case .unit: "unit"
            case .sequenceID: "sequence_id"
            case .type: "type"
            case .priority: "priority"
            case .metadata: "metadata"
            case .deviceID: "device_id"
            }
        }

        var wireType: ProtobufWireType {
            switch self {
            case .timestampMicros, .sequenceID, .priority: .varint
            case .value: .fixed64
            case .unit, .type, .metadata, .deviceID: .lengthDelimited
            }
        }
    }

    /// `MetadataValue`'s oneof; `none` when the sender set none of its members.
    enum MetadataValue {
        case none
        case string(Range<Int>)
        case number(Double)
        case bool(Bool)
    }

    struct MetadataEntry {
        var key: Range<Int>
        var value: MetadataValue
    }

    var timestampMicros: Int64 = 0
    /// proto3 omits zeros, so an absent value is 0.0.
    var value: Double = 0
    var unit: Range<Int>?
    /// Wider than the schema's uint32 so an out-of-range varint is refused rather than truncated.
    var sequenceID: UInt64 = 0
    var type: Range<Int>?
    /// The raw enum number; 0 (PRIORITY_UNSPECIFIED) is stored as MEDIUM.
    var priority: UInt64 = 0
    var deviceID: Range<Int>?

    /// Reads the sample in `reader`, appending its metadata entries to `metadata` (a buffer the caller reuses).
    /// Refusals name `path`, e.g. `samples[3]`.
    init(
        _ reader: inout ProtobufReader, metadata: inout [MetadataEntry], path: SamplePath
    )
        throws(TelemetryValidationError)
    {
        do throws(any Error) {
            while let (number, wireType) = try reader.nextTag() {
                guard let field = Field(rawValue: number) else {
                    try reader.skip(wireType)
                    continue
                }
                guard wireType == field.wireType else {
                    throw ProtobufRefusal.refusal(path.member("\(field.name)"), wireType, expected: field.wireType)
                }
                switch field {
                case .timestampMicros: timestampMicros = Int64(bitPattern: try reader.readVarint())
                case .value: value = Double(bitPattern: try reader.readFixed64())
                case .unit: unit = try reader.readLengthDelimited()
                case .sequenceID: sequenceID = try reader.readVarint()
                case .type: type = try reader.readLengthDelimited()
                case .priority: priority = try reader.readVarint()
                case .deviceID: deviceID = try reader.readLengthDelimited()
                case .metadata:
                    var entry = ProtobufReader(bytes: reader.bytes, range: try reader.readLengthDelimited())
                    metadata.append(try Self.metadataEntry(&entry, path: path))
                }
            }
        } catch let error as ProtobufWireError {
            throw ProtobufRefusal.refusal(path.text, error)
        } catch let error as TelemetryValidationError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// A map entry: `string key = 1; MetadataValue value = 2;`. Several `value` occurrences merge, so the last
    /// member set wins, as for the oneof of one message.
    private static func metadataEntry(_ reader: inout ProtobufReader, path: SamplePath) throws -> MetadataEntry {
        var entry = MetadataEntry(key: reader.offset..<reader.offset, value: .none)
        while let (number, wireType) = try reader.nextTag() {
            guard number == 1 || number == 2 else {
                try reader.skip(wireType)
                continue
            }
            let name = number == 1 ? "key" : "value"
            guard wireType == .lengthDelimited else {
                throw ProtobufRefusal.refusal(path.member("metadata.\(name)"), wireType, expected: .lengthDelimited)
            }
            let range = try reader.readLengthDelimited()
            guard number == 2 else {
                entry.key = range
                continue
            }
            var value = ProtobufReader(bytes: reader.bytes, range: range)
            while let (member, memberWireType) = try value.nextTag() {
                let expected: ProtobufWireType
                switch member {
                case 1: expected = .lengthDelimited
                case 2: expected = .fixed64
                case 3: expected = .varint
                default:
                    try value.skip(memberWireType)
                    continue
                }
                guard memberWireType == expected else {
                    let memberName = ["string_value", "number_value", "bool_value"][Int(member) - 1]
                    throw ProtobufRefusal.refusal(
                        path.member("metadata.value.\(memberName)"), memberWireType, expected: expected)
                }
                switch member {
                case 1: entry.value = .string(try value.readLengthDelimited())
                case 2: entry.value = .number(Double(bitPattern: try value.readFixed64()))
                default: entry.value = .bool(try value.readVarint() != 0)
                }
            }
        }
        return entry
    }
}
