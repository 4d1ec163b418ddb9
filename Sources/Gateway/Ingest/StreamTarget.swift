import RespClient

/// The stream events are written to, and how: one place for the entry format, so events the spool replays are
/// stored exactly like events written directly.
struct StreamTarget: Sendable {
    let stream: String
    /// `XADD MAXLEN ~ n` when set.
    let maxLength: Int?

    /// The hash slot of the unsharded stream key, where the spool replays.
    var slot: HashSlot { HashSlot(key: stream) }

    /// `XADD <key> [MAXLEN ~ n] * device_id <id> priority <P> data <json>`; the key is the stream itself unless a
    /// shard's key is given (`StreamShards`).
    func appendXADD(_ event: TelemetryEvent, key: String? = nil, to buffer: inout [UInt8]) {
        var arguments: [RESPArgument] = [.staticString("XADD"), .string(key ?? stream)]
        if let maxLength {
            arguments += [.staticString("MAXLEN"), .staticString("~"), .integer(maxLength)]
        }
        arguments += [
            .staticString("*"),
            .staticString("device_id"), .bytes(event.deviceID),
            .staticString("priority"), .string(event.priority.rawValue),
            .staticString("data"), .bytes(event.data),
        ]
        RESPEncoder.appendCommand(arguments, to: &buffer)
    }
}
