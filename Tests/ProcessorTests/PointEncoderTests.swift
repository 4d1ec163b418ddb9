import Testing

@testable import Processor

/// Mapping and idempotency: one entry is always the same point, two entries never the same key.
@Suite struct PointEncoderTests {
    let encoder = PointEncoder(measurement: "telemetry", tagKeys: ["site"])

    private func entry(_ id: String, device: String = "dev-1", data: String) -> StreamEntry {
        StreamEntry(
            id: id,
            fields: [
                (Array("device_id".utf8), Array(device.utf8)), (Array("priority".utf8), Array("HIGH".utf8)),
                (Array("data".utf8), Array(data.utf8)),
            ])
    }

    private func line(_ entry: StreamEntry) throws -> String {
        String(decoding: try encoder.encode(entry).get().line, as: UTF8.self)
    }

    private let reading =
        #"{"device_id":"dev-1","value":21.5,"type":"temperature","unit":"C","timestamp":"2026-11-30T06:37:24.123456Z","#
        + #""metadata":{"site":"north hall","firmware":"1.2","rssi":-70,"ok":true},"priority":"HIGH","#
        + #""received_at":"2026-11-30T06:37:25.000Z"}"#

    /// Tags sorted (metadata named in --tag-keys among them), other metadata as typed fields, time from `timestamp`
    /// in nanoseconds with the entry ID's `ms mod 1000` and sequence in the sub-millisecond digits.
    @Test func mapsAReading() throws {
        let text = try line(entry("1764484645678-9", data: reading))
        #expect(
            text
                == #"telemetry,device_id=dev-1,priority=HIGH,site=north\ hall,type=temperature,unit=C "#
                + #"value=21.5,firmware="1.2",ok=true,rssi=-70.0 1796020644123678009"#)
    }

    /// Without `timestamp` the time is `received_at`.
    @Test func fallsBackToReceivedAt() throws {
        let text = try line(
            entry("1764484645000-0", data: #"{"device_id":"d","value":1,"received_at":"2026-11-30T06:37:25.000Z"}"#))
        #expect(text.hasSuffix(" 1796020645000000000"))
    }

    /// The same entry encoded twice (a retry, a re-read after a crash) is byte for byte the same point.
    @Test func sameEntrySamePoint() throws {
        #expect(try line(entry("1764484645678-9", data: reading)) == line(entry("1764484645678-9", data: reading)))
    }

    /// Two entries with the same device, tags, value and timestamp (a device sending a reading twice) get
    /// different timestamps, so neither overwrites the other.
    @Test(arguments: [
        ("1764484645678-0", "1764484645678-1"), ("1764484645678-0", "1764484645679-0"),
        ("1764484645678-0", "1764484646000-0"),
    ])
    func differentEntriesDifferentKeys(first: String, second: String) throws {
        let a = try line(entry(first, data: reading))
        let b = try line(entry(second, data: reading))
        #expect(a.split(separator: " ").last != b.split(separator: " ").last)
        #expect(a.split(separator: " ").dropLast() == b.split(separator: " ").dropLast())
    }

    /// Metadata keys that clash with the built-in tags and fields are prefixed instead of replacing them.
    @Test func reservedMetadataKeysArePrefixed() throws {
        let text = try line(
            entry("1-0", data: #"{"value":1,"metadata":{"value":"x"},"received_at":"2026-11-30T06:37:25.000Z"}"#))
        #expect(text.contains(#"value=1.0,metadata_value="x""#))
    }

    @Test(arguments: [
        ("not json", "undecodable"), (#"{"value":"warm","received_at":"2026-11-30T06:37:25.000Z"}"#, "undecodable"),
        (#"{"value":1}"#, "undecodable"), (#"{"value":1,"timestamp":"yesterday"}"#, "undecodable"),
        (#"{"received_at":"2026-11-30T06:37:25.000Z"}"#, "undecodable"),
    ])
    func poison(data: String, reason: String) {
        guard case .failure(let failure) = encoder.encode(entry("1-0", data: data)) else {
            Issue.record("\(data) was encoded")
            return
        }
        #expect(failure.label == reason)
    }

    @Test(arguments: [
        ("2026-11-30T06:37:24Z", 1_796_020_644_000), ("2026-11-30T06:37:24.1Z", 1_796_020_644_100),
        ("2026-11-30T08:37:24.123+02:00", 1_796_020_644_123), ("1970-01-01T00:00:00.000Z", 0),
        ("2024-02-29T00:00:00z", 1_709_164_800_000),
    ])
    func timestamps(text: String, milliseconds: Int64) {
        #expect(Timestamp.epochMilliseconds(text) == milliseconds)
    }
}
