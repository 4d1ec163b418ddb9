/// The members an event object may have. Anything else is refused by name, so a misspelt optional field is an error
/// the client sees rather than data silently dropped.
enum TelemetryField: UInt8 {
    case deviceID
    case value
    case type
    case unit
    case priority
    case timestamp
    case metadata
    /// The device's own counter, so a consumer can spot gaps and replays; unsigned 32-bit as in the protobuf schema.
    case sequenceID

    /// The name as clients write it, also used in error messages whatever escapes the client used.
    var name: StaticString {
        switch self {
        case .deviceID: "device_id"
        case .value: "value"
        case .type: "type"
        case .unit: "unit"
        case .priority: "priority"
        case .timestamp: "timestamp"
        case .metadata: "metadata"
        case .sequenceID: "sequence_id"
        }
    }

    /// The longest name, which bounds the stack buffer used to unescape a key before matching it.
    private static let maxNameBytes = 11

    /// The field a key names, after unescaping; nil for an unknown key.
    init?(key: JSONStringToken, in bytes: UnsafeBufferPointer<UInt8>) {
        guard let field = key.withUnescaped(in: bytes, maxBytes: TelemetryField.maxNameBytes, TelemetryField.named)
        else { return nil }
        guard let field else { return nil }
        self = field
    }

    private static func named(_ name: UnsafeBufferPointer<UInt8>) -> TelemetryField? {
        let candidates: (TelemetryField, TelemetryField)
        switch name.count {
        case 4: candidates = (.type, .unit)
        case 5: candidates = (.value, .value)
        case 8: candidates = (.priority, .metadata)
        case 9: candidates = (.deviceID, .timestamp)
        case 11: candidates = (.sequenceID, .sequenceID)
        default: return nil
        }
        if name.hasSameBytes(as: candidates.0.name) { return candidates.0 }
        if name.hasSameBytes(as: candidates.1.name) { return candidates.1 }
        return nil
    }
}

/// Which fields an event object has already named, to refuse duplicates.
struct TelemetryFieldSet {
    private var bits: UInt8 = 0

    /// Adds `field`; false when it was already there.
    mutating func insert(_ field: TelemetryField) -> Bool {
        let bit: UInt8 = 1 << field.rawValue
        defer { bits |= bit }
        return bits & bit == 0
    }

    func contains(_ field: TelemetryField) -> Bool {
        bits & 1 << field.rawValue != 0
    }
}
