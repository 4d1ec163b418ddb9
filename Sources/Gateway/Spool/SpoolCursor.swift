/// Where forwarding resumes: the first byte of the first record Redis has not acknowledged.
///
/// Stored in `<spool>/cursor` (32 bytes: magic, sequence, offset, CRC-32C of the 24 bytes before it, padding) and
/// fdatasync'd after every acknowledged forwarding batch, so a crash replays at most the one batch that was in
/// flight. A torn or missing cursor means "from the oldest segment": more replays, never a loss.
struct SpoolCursor: Equatable {
    static let magic: [UInt8] = Array("TGCURSR1".utf8)
    static let fileName = "cursor"
    static let encodedBytes = 32

    var sequence: UInt64
    var offset: Int

    var encoded: [UInt8] {
        var bytes = Self.magic
        SpoolRecord.appendLittleEndian(sequence, to: &bytes)
        SpoolRecord.appendLittleEndian(UInt64(offset), to: &bytes)
        SpoolRecord.appendLittleEndian(CRC32C.checksum(bytes), to: &bytes)
        SpoolRecord.appendLittleEndian(UInt32(0), to: &bytes)
        return bytes
    }

    init(sequence: UInt64, offset: Int) {
        self.sequence = sequence
        self.offset = offset
    }

    init?(decoding bytes: [UInt8]) {
        guard bytes.count >= Self.encodedBytes, Array(bytes[0..<8]) == Self.magic else { return nil }
        let valid = bytes.withUnsafeBytes { raw -> Bool in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<24]))
                == SpoolRecord.readLittleEndian(raw, at: 24, as: UInt32.self)
        }
        guard valid else { return nil }
        sequence = bytes.withUnsafeBytes { SpoolRecord.readLittleEndian($0, at: 8, as: UInt64.self) }
        offset = Int(bytes.withUnsafeBytes { SpoolRecord.readLittleEndian($0, at: 16, as: UInt64.self) })
    }
}
