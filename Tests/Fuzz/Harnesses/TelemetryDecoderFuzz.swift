// libFuzzer harness for `TelemetryDecoder` and `TelemetryPrescan`, with Foundation's `JSONSerialization` as the
// independent judge of JSON. For every body the decoder accepts:
// - the body is valid JSON per `JSONSerialization`;
// - the prescan counts exactly the events decoded, and says "all high" only when every event is HIGH;
// - every stored `data` is a JSON object per `JSONSerialization`, whose `device_id`, `priority` and `received_at`
//   are the event's own;
// - the same body with whitespace added between every two tokens decodes to the very same events (stored data is
//   compacted, so not one byte may differ).
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
    let spaced = spacedOut(Array(body))
    guard
        let again = try? withExactCopy(
            spaced[...],
            { bytes in
                Result { () throws(TelemetryValidationError) in try decoder.decode(bytes, receivedAt: receivedAt) }
            }
        ).get(),
        again.isArray == batch.isArray,
        again.events.elementsEqual(batch.events, by: { $0.deviceID == $1.deviceID && $0.data == $1.data })
    else {
        oracleFailure("added whitespace changed the events of \(text.debugDescription)")
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

/// `json` with `" \n\t\r"` after every `{`, `[`, `:` and `,` and before every `}` and `]` outside strings: the same
/// JSON value, with every kind of whitespace between tokens.
func spacedOut(_ json: [UInt8]) -> [UInt8] {
    let whitespace: [UInt8] = [0x20, 0x0A, 0x09, 0x0D]
    var output: [UInt8] = []
    var inString = false
    var escaped = false
    for byte in json {
        if inString {
            output.append(byte)
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            continue
        }
        switch byte {
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            output += whitespace + [byte]
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ":"), UInt8(ascii: ","):
            output += [byte] + whitespace
        default:
            inString = byte == UInt8(ascii: "\"")
            output.append(byte)
        }
    }
    return output
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTelemetryDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    checkTelemetryDecoder(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
