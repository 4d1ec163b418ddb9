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
}
