import Gateway
import TestSupport

/// Shared inputs and helpers for the telemetry decoding tests.
enum TelemetryFixtures {
    static let receivedAtText = "2026-11-30T06:37:24.123Z"
    static let receivedAt = Array(receivedAtText.utf8)

    /// The 196-byte event from the product spec.
    static let sample =
        #"{"device_id":"sensor-17","type":"temperature","value":27.31,"unit":"celsius","priority":"MEDIUM","#
        + #""timestamp":"2026-11-30T04:00:00.000Z","metadata":{"location":"zone-1","firmware_version":"2.3.1"}}"#

    /// A minimal valid event whose device ID tells events apart.
    static func event(_ deviceID: String) -> String {
        #"{"device_id":"\#(deviceID)","value":1}"#
    }

    /// A JSON array of `count` events, each made by `element`.
    static func batch(_ count: Int, element: (Int) -> String = { event("d\($0)") }) -> String {
        "[" + (0..<count).map(element).joined(separator: ",") + "]"
    }
}

/// Decodes `body` placed against a guard page, so a read past its end crashes the test.
func decodeGuarded(
    _ body: [UInt8], limits: TelemetryLimits = .init()
) -> Result<TelemetryBatch, TelemetryValidationError> {
    let decoder = TelemetryDecoder(limits: limits)
    return withGuardedBytes(body) { bytes in
        Result { () throws(TelemetryValidationError) in
            try decoder.decode(bytes, receivedAt: TelemetryFixtures.receivedAt)
        }
    }
}

func decodeGuarded(
    _ body: String, limits: TelemetryLimits = .init()
) -> Result<TelemetryBatch, TelemetryValidationError> {
    decodeGuarded(Array(body.utf8), limits: limits)
}

/// The message a body is refused with, or nil when it decodes.
func refusal(_ body: [UInt8], limits: TelemetryLimits = .init()) -> String? {
    switch decodeGuarded(body, limits: limits) {
    case .success: nil
    case .failure(let error): error.message
    }
}

func refusal(_ body: String, limits: TelemetryLimits = .init()) -> String? {
    refusal(Array(body.utf8), limits: limits)
}
