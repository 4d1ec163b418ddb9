import Testing

@testable import RespClient

@Suite struct HashSlotTests {
    /// The check value of CRC16/XMODEM, and the example the cluster specification gives.
    @Test func crc16MatchesTheSpecification() {
        #expect(CRC16.checksum(Array("123456789".utf8)) == 0x31C3)
        #expect(CRC16.checksum([UInt8]()) == 0)
    }

    @Test(arguments: [
        ("{user1000}.following", "user1000"), ("{user1000}.followers", "user1000"), ("foo{}{bar}", "foo{}{bar}"),
        ("foo{{bar}}zap", "{bar"), ("foo{bar}{zap}", "bar"), ("{", "{"), ("}{", "}{"), ("a{b", "a{b"),
        ("stream:{7}", "7"),
    ])
    func hashTagsFollowTheSpecification(key: String, hashed: String) {
        #expect(Array(HashSlot.hashedPart(of: Array(key.utf8))) == Array(hashed.utf8))
        #expect(HashSlot(key: key) == HashSlot(key: hashed))
    }

    @Test func slotsStayInRange() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let key = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255) }
            #expect((0..<HashSlot.count).contains(HashSlot(key: key).rawValue))
        }
        #expect(HashSlot(-1) == nil && HashSlot(16_384) == nil && HashSlot(16_383)?.rawValue == 16_383)
    }
}
