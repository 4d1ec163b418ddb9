import TestSupport
import Testing

@testable import Gateway

/// The Protobuf path's JSON writer escapes exactly as `JSONWriter` does, at every length around its eight-byte steps.
@Suite struct EventJSONWriterTests {
    private func written(_ bytes: [UInt8]) -> [UInt8] {
        let scratch = EventJSONScratch(capacity: 16)
        return bytes.withUnsafeBufferPointer { utf8 in
            scratch.write(maxBytes: 2 + EventJSONWriter.maxEscapedBytesPerByte * utf8.count) { $0.appendString(utf8) }
        }
    }

    @Test func escapesLikeJSONWriter() {
        var generator = SeededGenerator(seed: 14)
        let alphabet: [UInt8] = Array("ab\"\\\n\t\r".utf8) + [0x00, 0x01, 0x1F, 0x7F] + Array("é€".utf8)
        for length in 0..<40 {
            for _ in 0..<200 {
                let plainOnly = Bool.random(using: &generator)
                let bytes = (0..<length).map { _ in
                    plainOnly
                        ? UInt8.random(in: 0x20...0x7E, using: &generator)
                        : alphabet.randomElement(using: &generator)!
                }
                var expected: [UInt8] = []
                bytes.withUnsafeBufferPointer { JSONWriter.appendString(utf8: $0, to: &expected) }
                #expect(written(bytes) == expected, "\(bytes)")
            }
        }
    }

    /// The day cache never serves a stale date across consecutive timestamps on different days.
    @Test func timestampsAcrossDays() {
        let scratch = EventJSONScratch()
        let cases: [(Int64, String)] = [
            (86_399_999_999, "1970-01-01T23:59:59.999999Z"), (86_400_000_000, "1970-01-02T00:00:00.000000Z"),
            (86_400_000_001, "1970-01-02T00:00:00.000001Z"), (-1, "1969-12-31T23:59:59.999999Z"),
            (1_764_561_600_000_000, "2025-12-01T04:00:00.000000Z"),
            (951_782_400_000_000, "2000-02-29T00:00:00.000000Z"),
        ]
        for (micros, text) in cases {
            let bytes = scratch.write(maxBytes: EventJSONWriter.timestampBytes) {
                $0.appendTimestamp(epochMicroseconds: micros)
            }
            #expect(String(decoding: bytes, as: UTF8.self) == text)
        }
    }
}
