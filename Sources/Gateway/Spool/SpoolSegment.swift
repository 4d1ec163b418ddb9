/// One segment file of the spool: `<sequence as 16 hex digits>.seg`, an 8-byte magic header, then records
/// (`SpoolRecord`) appended in order. Segments are never rewritten in normal operation: appended to while active,
/// then read by the forwarder and deleted once every record in them is acknowledged by Redis.
struct SpoolSegment {
    static let magic: [UInt8] = Array("TGSPOOL1".utf8)
    static let headerBytes = 8
    static let suffix = ".seg"

    let sequence: UInt64
    /// Bytes committed (written and fdatasync'd), header included: the forwarder never reads past it.
    var size: Int
    /// Events in this segment not yet acknowledged by Redis.
    var events: Int

    static func name(_ sequence: UInt64) -> String {
        let hex = String(sequence, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + suffix
    }

    static func sequence(ofName name: String) -> UInt64? {
        guard name.hasSuffix(suffix), name.utf8.count == 16 + suffix.utf8.count else { return nil }
        return UInt64(name.dropLast(suffix.count), radix: 16)
    }
}
