/// ASCII case-insensitive comparison of bytes: what RFC 9110 prescribes for field names and most tokens, and what
/// the telemetry format uses for priorities. One implementation for every module, so that the rule (only A–Z fold)
/// is written once.
///
/// Only letters fold: `byte | 0x20` alone would also fold `^` onto `~`, `@` onto `` ` `` and control bytes onto
/// punctuation, so that `"\u{0F}"` would equal `"/"`. The functions take raw buffers, which every caller has at hand
/// (an array's or a slice's `withUnsafeBytes` costs nothing), and index them directly: written over a generic
/// `Collection`, the comparison cost the POST path ~350 more instructions per request (callgrind), mostly in slice
/// iteration. Equal bytes are checked first, so input already in the expected case costs one comparison a byte.
/// They are `@inlinable` so callers in other modules can inline them.
public enum ASCII {
    /// The byte with A–Z mapped to a–z; every other byte unchanged.
    @inlinable
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Whether `bytes` equal `lowercase` ignoring the case of letters. `lowercase` must be spelled in lowercase
    /// (the literals callers recognise: header names, tokens, priorities).
    @inlinable
    public static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let wanted = expected[index]
            // Equal bytes (the common case: most senders write these in lowercase) cost one comparison; otherwise the
            // byte must be the uppercase form of a lowercase letter.
            if byte != wanted && !(byte | 0x20 == wanted && wanted &- 0x61 < 26) { return false }
        }
        return true
    }

    /// Whether `lhs` and `rhs` are equal ignoring the case of letters.
    @inlinable
    public static func equalsCaseInsensitive(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in 0..<lhs.count {
            let left = lhs[index]
            let right = rhs[index]
            // Different bytes match only as the two cases of one letter: equal once folded, and the fold a letter.
            if left != right && !(left | 0x20 == right | 0x20 && (left | 0x20) &- 0x61 < 26) { return false }
        }
        return true
    }
}
