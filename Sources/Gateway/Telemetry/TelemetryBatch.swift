/// Every event of one request body; a body is accepted whole or not at all.
public struct TelemetryBatch: Sendable {
    public var events: [TelemetryEvent]
    /// True when the body was a JSON array, which is answered with `{"ok":true,"accepted":N}` even for one event.
    public var isArray: Bool

    public init(events: [TelemetryEvent], isArray: Bool) {
        self.events = events
        self.isArray = isArray
    }
}
