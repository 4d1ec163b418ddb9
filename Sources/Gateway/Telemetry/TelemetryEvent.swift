/// How urgently an event should be admitted; clients may write it in any case, it is stored uppercase.
public enum TelemetryPriority: String, Sendable {
    case high = "HIGH"
    case medium = "MEDIUM"
    case low = "LOW"
}

/// One accepted event, already in the shape it is stored in Redis.
public struct TelemetryEvent: Sendable {
    /// Unescaped UTF-8 bytes, used as the stream entry's `device_id` field.
    public var deviceID: [UInt8]
    public var priority: TelemetryPriority
    /// The compact JSON object stored as the entry's `data` field: the client's members in the order sent, with
    /// `priority` normalised and `received_at` appended.
    public var data: [UInt8]

    public init(deviceID: [UInt8], priority: TelemetryPriority, data: [UInt8]) {
        self.deviceID = deviceID
        self.priority = priority
        self.data = data
    }
}
