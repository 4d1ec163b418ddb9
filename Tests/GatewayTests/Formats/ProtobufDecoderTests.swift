import Gateway
import TestSupport
import Testing

/// The hand-written protobuf decoder against bodies encoded by the reference implementation: every valid body
/// stores exactly the events the JSON path would, every malformed one is refused with its message.
@Suite struct ProtobufDecoderTests {
    private func decode(
        _ body: [UInt8], limits: TelemetryLimits = .init()
    ) -> Result<TelemetryBatch, TelemetryValidationError> {
        let decoder = ProtobufTelemetryDecoder(limits: limits)
        return withGuardedBytes(body) { bytes in
            Result { () throws(TelemetryValidationError) in
                try decoder.decode(bytes, receivedAt: TelemetryFixtures.receivedAt)
            }
        }
    }

    private static let receivedAtMember = #","received_at":"\#(TelemetryFixtures.receivedAtText)"}"#

    /// Each valid fixture decodes into the expected device IDs, priorities and `data`.
    @Test(arguments: ProtobufFixture.valid)
    func validBodies(_ fixture: ProtobufFixture) throws {
        let batch = try decode(fixture.body).get()
        #expect(batch.isArray)
        let events = batch.events.map {
            ProtobufFixture.Event(
                deviceID: String(decoding: $0.deviceID, as: UTF8.self), priority: $0.priority.rawValue,
                data: String(decoding: $0.data, as: UTF8.self))
        }
        let expected = fixture.events!.map {
            ProtobufFixture.Event(
                deviceID: $0.deviceID, priority: $0.priority,
                data: String($0.data.dropLast()) + Self.receivedAtMember)
        }
        #expect(events == expected)
    }

    /// The same events sent as JSON are stored byte for byte the same, so consumers cannot tell the formats apart.
    @Test(arguments: ProtobufFixture.valid)
    func storedLikeJSON(_ fixture: ProtobufFixture) throws {
        let protobuf = try decode(fixture.body).get()
        let json = "[" + fixture.events!.map(\.data).joined(separator: ",") + "]"
        let fromJSON = try decodeGuarded(json).get()
        #expect(fromJSON.events.map(\.data) == protobuf.events.map(\.data))
        #expect(fromJSON.events.map(\.deviceID) == protobuf.events.map(\.deviceID))
        #expect(fromJSON.events.map(\.priority) == protobuf.events.map(\.priority))
    }

    /// Each malformed fixture is refused with its exact message.
    @Test(arguments: ProtobufFixture.invalid)
    func invalidBodies(_ fixture: ProtobufFixture) {
        switch decode(fixture.body) {
        case .success: Issue.record("\(fixture.name) decoded")
        case .failure(let error): #expect(error.message == fixture.error)
        }
    }

    /// Every prefix of a valid body is decoded without reading past its end (the guard page would crash). Protobuf
    /// has no end marker, so a prefix cut between two top-level fields is itself a valid batch; any other cut is
    /// refused.
    @Test(arguments: ["every_field", "maps_and_extremes", "unknown_fields_of_every_wire_type"])
    func everyPrefixIsSafe(_ name: String) {
        let body = ProtobufFixture.named(name).body
        var accepted = 0
        for cut in 0..<body.count {
            if case .success = decode(Array(body[0..<cut])) { accepted += 1 }
        }
        #expect(accepted <= 6, "\(accepted) prefixes decoded")
    }

    /// `--max-batch` applies to samples; the count is exact even past it.
    @Test func maxBatch() {
        let body = ProtobufFixture.named("sample_17_without_device_id").body
        #expect(throws: TelemetryValidationError(message: "samples: 18 samples exceed the maximum batch of 5")) {
            try decode(body, limits: TelemetryLimits(maxBatch: 5)).get()
        }
    }

    /// Random bytes never crash the decoder and are never accepted silently with garbage device IDs.
    @Test func randomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 10)
        for _ in 0..<5_000 {
            let body = (0..<Int.random(in: 1...64, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            if case .success(let batch) = decode(body) {
                #expect(batch.events.allSatisfy { !$0.deviceID.isEmpty })
            }
        }
    }

    /// The worst case for the output bound: every string byte escaped to `\u00XX`, the longest number spellings,
    /// many metadata entries (past the pairwise duplicate check). The stored JSON is valid and the JSON path stores
    /// it unchanged.
    @Test func escapesEverythingWithinTheBound() throws {
        func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] {
            precondition(payload.count < 128)
            return [number << 3 | 2, UInt8(payload.count)] + payload
        }
        func double(_ number: UInt8, _ value: Double) -> [UInt8] {
            [number << 3 | 1] + withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
        }
        let controls = [UInt8](repeating: 0x01, count: 60)
        var sample =
            double(2, -2.2250738585072014e-308) + field(3, controls) + field(5, [UInt8](repeating: 0x1F, count: 100))
        for index in 0..<12 {
            let key = [UInt8(ascii: "a") + UInt8(index)] + [UInt8](repeating: 0x7F, count: 40)
            let value = index % 2 == 0 ? field(1, controls) : double(2, -1.7976931348623157e308)
            sample += field(7, field(1, key) + field(2, value))
        }
        let body =
            field(1, []) + [0x0A, UInt8(sample.count & 0x7F | 0x80), UInt8(sample.count >> 7)] + sample
            + field(2, Array("d".utf8))
        let batch = try decode(body).get()
        #expect(batch.events.count == 2)
        let stored = batch.events[1].data
        #expect(stored.count > 2_000)
        let json =
            "[" + String(decoding: stored.dropLast(TelemetryFixtures.receivedAtText.utf8.count + 18), as: UTF8.self)
            + "}]"
        let fromJSON = try decodeGuarded(json).get()
        #expect(fromJSON.events[0].data == stored)
    }
}
