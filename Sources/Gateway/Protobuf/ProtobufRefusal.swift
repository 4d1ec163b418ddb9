/// The 400 messages for bytes that are not the schema's wire format. Messages are only built on the way out, so a
/// valid body never pays for a String.
enum ProtobufRefusal {
    /// A known field sent with another wire type: the sender uses an incompatible schema.
    static func refusal(
        _ path: String, _ wireType: ProtobufWireType, expected: ProtobufWireType
    )
        -> TelemetryValidationError
    {
        TelemetryValidationError(
            message:
                "\(path): wire type \(wireType.rawValue) (\(wireType.name)), expected \(expected.rawValue) (\(expected.name))"
        )
    }

    /// Malformed wire format inside the message at `path` (`body` for the batch itself).
    static func refusal(_ path: String, _ error: ProtobufWireError) -> TelemetryValidationError {
        TelemetryValidationError(message: "\(path): invalid protobuf at byte \(error.offset): \(error.text)")
    }
}

/// Where a sample sits in the batch; its message text (`samples[3]`) is only built for a refusal.
struct SamplePath {
    let index: Int

    var text: String { "samples[\(index)]" }

    func member(_ name: String) -> String { "\(text).\(name)" }
}
