/// The bounds one telemetry request body must stay within.
///
/// Each bound caps work a single client can make a consumer thread do, independently of the HTTP body size limit.
public struct TelemetryLimits: Sendable {
    /// Events in one array body. 1,000 keeps one request's Redis pipeline (one XADD per event) small enough that a
    /// batch never holds the Redis link for long, while still amortising HTTP overhead for chatty devices.
    public var maxBatch: Int
    /// JSON nesting, counting the top-level container as 1. Valid telemetry needs 3 (array, event, metadata); 32 leaves
    /// room for honest mistakes to be reported by type rather than as nesting, and stays far from any stack concern
    /// (no part of the decoder recurses).
    public var maxDepth: Int
    /// Bytes of `device_id` after unescaping. It becomes a Redis stream field, so it must stay short and bounded.
    public var maxDeviceIDBytes: Int

    /// Bytes a gzip or deflate body may inflate to (`--max-decoded-body`); past it the body is refused with 413.
    public var maxDecodedBodyBytes: Int

    public init(
        maxBatch: Int = 1000, maxDepth: Int = 32, maxDeviceIDBytes: Int = 128, maxDecodedBodyBytes: Int = 4 << 20
    ) {
        self.maxBatch = maxBatch
        self.maxDepth = maxDepth
        self.maxDeviceIDBytes = maxDeviceIDBytes
        self.maxDecodedBodyBytes = maxDecodedBodyBytes
    }
}
