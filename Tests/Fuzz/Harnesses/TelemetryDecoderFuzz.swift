// libFuzzer harness for `TelemetryDecoder` and `TelemetryPrescan`, with Foundation's `JSONSerialization` as the
// independent judge of JSON. For every body the decoder accepts:
// - the body is valid JSON per `JSONSerialization`;
// - the prescan counts exactly the events decoded, and says "all high" only when every event is HIGH;
// - every stored `data` is a JSON object per `JSONSerialization`, whose `device_id`, `priority` and `received_at`
//   are the event's own.
// Built by scripts/fuzz.
import Foundation

let receivedAtText = "2026-11-30T06:37:24.123Z"
let receivedAt = Array(receivedAtText.utf8)

/// Small enough that inputs of a few hundred bytes reach every limit.
let tightTelemetryLimits = TelemetryLimits(maxBatch: 3, maxDepth: 3, maxDeviceIDBytes: 8)

func jsonObject(_ bytes: UnsafeRawBufferPointer) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(bytes), options: [])
}

func checkTelemetryDecoder(_ body: UnsafeRawBufferPointer) {
    var generator = FuzzGenerator(hashing: body)
    let limits = Bool.random(using: &generator) ? TelemetryLimits() : tightTelemetryLimits
    let decoder = TelemetryDecoder(limits: limits)
    // Both get the body in an exactly sized block, so ASan reports any read past its end.
    let prescan = withExactCopy(Array(body)[...]) { TelemetryPrescan.scan($0) }
    let batch: TelemetryBatch
    do {
        batch = try withExactCopy(Array(body)[...]) { bytes in
            Result { () throws(TelemetryValidationError) in try decoder.decode(bytes, receivedAt: receivedAt) }
        }.get()
    } catch {
        _ = error.message
        return
    }
    let text = String(decoding: body, as: UTF8.self)
    guard jsonObject(body) != nil else {
        oracleFailure("accepted a body JSONSerialization refuses: \(text.debugDescription)")
    }
    if prescan.eventCount != batch.events.count {
        oracleFailure("prescan counted \(prescan.eventCount), decoded \(batch.events.count): \(text.debugDescription)")
    }
    if prescan.allHigh && !batch.events.allSatisfy({ $0.priority == .high }) {
        oracleFailure("prescan says all HIGH, decoded \(batch.events.map(\.priority)): \(text.debugDescription)")
    }
    for event in batch.events {
        let data = String(decoding: event.data, as: UTF8.self)
        guard let object = event.data.withUnsafeBytes(jsonObject) as? [String: Any] else {
            oracleFailure("stored data is not a JSON object: \(data.debugDescription) from \(text.debugDescription)")
        }
        let deviceID = String(decoding: event.deviceID, as: UTF8.self)
        guard object["device_id"] as? String == deviceID,
            object["priority"] as? String == event.priority.rawValue,
            object["received_at"] as? String == receivedAtText
        else {
            oracleFailure("stored data \(data.debugDescription) disagrees with device \(deviceID.debugDescription)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTelemetryDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    checkTelemetryDecoder(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
