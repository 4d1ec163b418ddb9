/// Why an entry went to the dead-letter stream instead of InfluxDB. The label is the `reason` field of the
/// dead letter and the `reason` label of `processor_dead_letters_total`; the detail is for people.
public enum DeadLetterReason: Error, Sendable, Equatable {
    /// The entry is not a telemetry event: no `data`, not JSON, `value` not a number, no usable time.
    case undecodable(String)
    /// InfluxDB refused the point with a 400 (a field-type conflict, a line it cannot parse).
    case rejected(String)
    /// Delivered more than `--max-deliveries` times without being acknowledged (it keeps crashing processors).
    case maxDeliveries(Int)

    public static let labels = ["undecodable", "rejected", "max_deliveries"]

    public var label: String {
        switch self {
        case .undecodable: "undecodable"
        case .rejected: "rejected"
        case .maxDeliveries: "max_deliveries"
        }
    }

    var labelIndex: Int { Self.labels.firstIndex(of: label)! }

    public var detail: String {
        switch self {
        case .undecodable(let detail), .rejected(let detail): detail
        case .maxDeliveries(let count): "delivered \(count) times"
        }
    }
}
