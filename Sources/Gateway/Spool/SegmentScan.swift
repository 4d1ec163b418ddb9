/// Reads record frames out of a segment's bytes and decides what a damaged stretch is.
///
/// Recovery and the forwarder share it: both walk a segment record by record, and both must tell a torn tail (the
/// file ends inside a record a crash interrupted: cut it off) from damage in the middle (a record that fails its
/// CRC with valid records after it: move it aside). The difference is whether a valid record starts anywhere after
/// the bad one, which `resynchronize` answers by trying every later offset.
enum SegmentScan {
    enum Item: Equatable {
        /// A whole record whose CRC matched: its payload's byte range, and the offset just past it.
        case record(payload: Range<Int>, end: Int)
        /// The bytes end inside the record's header or payload.
        case incomplete
        /// The length is impossible or the CRC does not match.
        case corrupt
    }

    /// What starts at `offset` in `bytes`.
    static func item(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Item {
        guard bytes.count - offset >= SpoolRecord.headerBytes else { return .incomplete }
        let length = Int(SpoolRecord.readLittleEndian(bytes, at: offset, as: UInt32.self))
        guard length >= 5, length <= SpoolRecord.maxPayloadBytes else { return .corrupt }
        let start = offset + SpoolRecord.headerBytes
        guard bytes.count - start >= length else { return .incomplete }
        // Cheap before the CRC: keeps the resynchronisation scan over garbage from checksumming at every offset.
        guard bytes[start] == SpoolRecord.version else { return .corrupt }
        let stored = SpoolRecord.readLittleEndian(bytes, at: offset + 4, as: UInt32.self)
        let lengthBytes = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 4)])
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
        guard CRC32C.checksum(payload, continuing: CRC32C.checksum(lengthBytes)) == stored else { return .corrupt }
        return .record(payload: start..<(start + length), end: start + length)
    }

    /// The first offset after `offset` at which a whole valid record starts, nil when none does (the damage runs to
    /// the end: a torn tail). A false match needs a plausible length and a 32-bit CRC to agree by chance.
    static func resynchronize(in bytes: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        var candidate = offset + 1
        while candidate + SpoolRecord.headerBytes <= bytes.count {
            if case .record = item(in: bytes, at: candidate) { return candidate }
            candidate += 1
        }
        return nil
    }
}
