import Foundation
import Gateway
import TestSupport
import Testing

/// Replays the committed inputs of the `telemetry` fuzz target (seeds, merged corpus, reproducers) through the
/// harness's oracles, under the default limits and the harness's tight ones. For every body the decoder accepts: the
/// body is valid JSON per `JSONSerialization`, the prescan counts the events decoded and says "all high" only when
/// they are, every stored `data` is a JSON object whose `device_id`, `priority` and `received_at` are the event's, and
/// the body with whitespace added between every two tokens decodes to the very same events.
@Suite struct TelemetryFuzzCorpusTests {
    /// The same values as `tightTelemetryLimits` in Tests/Fuzz/Harnesses/TelemetryDecoderFuzz.swift.
    static let tightLimits = TelemetryLimits(maxBatch: 3, maxDepth: 3, maxDeviceIDBytes: 8)

    @Test(arguments: FuzzInputs.all("telemetry"))
    func acceptedBodiesPassTheOracles(_ input: FuzzInput) throws {
        let body = input.bytes
        let prescan = body.withUnsafeBytes(TelemetryPrescan.scan)
        for limits in [TelemetryLimits(), Self.tightLimits] {
            guard case .success(let batch) = decodeGuarded(body, limits: limits) else { continue }
            #expect((try? JSONSerialization.jsonObject(with: Data(body))) != nil, "accepted, but not JSON")
            #expect(prescan.eventCount == batch.events.count)
            if prescan.allHigh {
                #expect(batch.events.allSatisfy { $0.priority == .high })
            }
            let spaced = try #require(try? decodeGuarded(Self.spacedOut(body), limits: limits).get())
            #expect(spaced.events.map(\.data) == batch.events.map(\.data), "whitespace between tokens changed the data")
            #expect(spaced.events.map(\.deviceID) == batch.events.map(\.deviceID))
            for event in batch.events {
                let stored = try #require(try JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any])
                #expect(stored["device_id"] as? String == String(decoding: event.deviceID, as: UTF8.self))
                #expect(stored["priority"] as? String == event.priority.rawValue)
                #expect(stored["received_at"] as? String == TelemetryFixtures.receivedAtText)
            }
        }
    }

    /// `spacedOut` of the harness: whitespace after every `{ [ : ,` and before every `} ]` outside strings.
    static func spacedOut(_ json: [UInt8]) -> [UInt8] {
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
            case UInt8(ascii: "}"), UInt8(ascii: "]"): output += whitespace + [byte]
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ":"), UInt8(ascii: ","):
                output += [byte] + whitespace
            default:
                inString = byte == UInt8(ascii: "\"")
                output.append(byte)
            }
        }
        return output
    }

    @Test func corpusIsThere() {
        #expect(FuzzInputs.all("telemetry").count > 20)
    }
}
