import Testing

@testable import Gateway

/// The reactor's sample count for admission: exact for valid bodies, 1 for anything it cannot walk.
@Suite struct ProtobufPrescanTests {
    private func count(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { ProtobufPrescan.sampleCount($0) }
    }

    @Test(arguments: ProtobufFixture.valid)
    func exactForValidBodies(_ fixture: ProtobufFixture) {
        #expect(count(fixture.body) == fixture.events!.count)
    }

    @Test func countsPastMaxBatchAndFallsBackToOne() {
        #expect(count(ProtobufFixture.named("too_many_samples").body) == 1001)
        #expect(count(ProtobufFixture.named("length_past_end").body) == 1)
        #expect(count(ProtobufFixture.named("group_nesting_bomb").body) == 1)
        #expect(count([]) == 1)
    }

    /// Only bodies whose every sample is HIGH may use the reserve.
    @Test func allHigh() {
        let high: [UInt8] = [0x0A, 0x02, 0x30, 0x03]  // samples { priority: HIGH }
        let low: [UInt8] = [0x0A, 0x02, 0x30, 0x01]
        let unset: [UInt8] = [0x0A, 0x00]
        let highThenLow: [UInt8] = [0x0A, 0x04, 0x30, 0x03, 0x30, 0x01]  // last occurrence wins
        func check(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { ProtobufPrescan.allHigh($0) } }
        #expect(check(high + high + [0x12, 0x01, 0x64]))
        #expect(!check(high + low))
        #expect(!check(high + unset))
        #expect(!check(highThenLow))
        #expect(!check([0x12, 0x01, 0x64]))
        #expect(!check(high + [0x0A, 0x09]))
        #expect(!check(ProtobufFixture.named("every_field").body))
    }
}
