import FoundationEssentials

/// The `data` field of a stream entry as the gateway writes it: the client's event members plus `received_at`.
struct EventData: Decodable, Equatable {
    var deviceID: String?
    var value: Double
    var type: String?
    var unit: String?
    var priority: String?
    var timestamp: String?
    var metadata: [String: MetadataValue]?
    var receivedAt: String?
    /// Not sent by the gateway today; written as an integer field when another producer includes it.
    var sequenceID: Int64?

    init(value: Double) {
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case value, type, unit, priority, timestamp, metadata
        case receivedAt = "received_at"
        case sequenceID = "sequence_id"
    }
}

/// A metadata value: the gateway allows strings, numbers and booleans.
enum MetadataValue: Decodable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// The text a tag gets.
    var tagText: String {
        switch self {
        case .string(let text): text
        case .number(let number):
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        }
    }
}
