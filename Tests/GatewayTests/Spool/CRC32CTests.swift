import Testing

@testable import Gateway

/// CRC-32C against the published vectors: RFC 3720 (iSCSI), appendix B.4, and the usual check value.
@Suite struct CRC32CTests {
    /// The RFC's five vectors; it prints each CRC as stored on the wire, least significant byte first.
    @Test(arguments: [
        (Array(repeating: UInt8(0x00), count: 32), UInt32(0x8A91_36AA)),
        (Array(repeating: UInt8(0xFF), count: 32), UInt32(0x62A8_AB43)),
        (Array(UInt8(0)...UInt8(31)), UInt32(0x46DD_794E)),
        (Array((UInt8(0)...UInt8(31)).reversed()), UInt32(0x113F_DB5C)),
        (
            [
                0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            ], UInt32(0xD996_3A56)
        ),
    ])
    func rfc3720Vectors(input: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(input) == expected)
    }

    /// The catalogue's check value for "123456789", and nothing for nothing.
    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    /// Checksumming in pieces gives the checksum of the whole, as the record framing relies on.
    @Test func continuesAcrossPieces() {
        let bytes = Array("the quick brown fox jumps over the lazy dog".utf8)
        for split in 0...bytes.count {
            let first = CRC32C.checksum(Array(bytes[..<split]))
            #expect(CRC32C.checksum(Array(bytes[split...]), continuing: first) == CRC32C.checksum(bytes))
        }
    }
}
