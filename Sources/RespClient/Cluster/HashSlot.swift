/// The Redis Cluster hash slot of a key: CRC16 (XMODEM: polynomial 0x1021, initial value 0, no reflection) of the key,
/// or of its hash tag, modulo 16,384 (the cluster specification's "Keys distribution model").
///
/// A hash tag is the part between the first `{` and the first `}` after it, when that part is not empty: `{user1}.a`
/// and `{user1}.b` share a slot, which is how several keys (the shards of a stream, the keys of one MULTI) are kept on
/// one node. `{}` or a `{` without a closing `}` means the whole key is hashed.
public struct HashSlot: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Slots in a cluster: fixed by the protocol.
    public static let count = 16_384

    public let rawValue: Int

    public init?(_ rawValue: Int) {
        guard (0..<Self.count).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// The slot of a key.
    public init<Key: Collection<UInt8>>(key: Key) {
        rawValue = Int(CRC16.checksum(Self.hashedPart(of: key)) & UInt16(Self.count - 1))
    }

    public init(key: String) {
        self.init(key: key.utf8)
    }

    /// The bytes of the key that decide its slot: the hash tag if there is a non-empty one, else the whole key.
    static func hashedPart<Key: Collection<UInt8>>(of key: Key) -> Key.SubSequence {
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let afterOpen = key.index(after: open)
            if let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen {
                return key[afterOpen..<close]
            }
        }
        return key[...]
    }

    public static func < (lhs: HashSlot, rhs: HashSlot) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

/// CRC16-CCITT in the XMODEM variant, one table lookup per byte.
enum CRC16 {
    static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }

    static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }
}
