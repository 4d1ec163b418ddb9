/// ASCII case-insensitive comparison of bytes: what RFC 9110 prescribes for field names and most tokens, and what
/// the telemetry format uses for priorities. One implementation for every module, so that the rule (only A–Z fold)
/// is written once.
///
/// Only letters fold: `byte | 0x20` alone would also fold `^` onto `~`, `@` onto `` ` `` and control bytes onto
/// punctuation, so that `"\u{0F}"` would equal `"/"`. The functions are `@inlinable` so that each caller gets a
/// version specialized for its byte collection; they run on the request path.
public enum ASCII {
    /// The byte with A–Z mapped to a–z; every other byte unchanged.
    @inlinable
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Whether `bytes` equal `lowercase` ignoring the case of letters. `lowercase` must be spelled in lowercase
    /// (the literals callers recognise: header names, tokens, priorities).
    @inlinable
    public static func equalsLowercase<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        var expected = lowercase.utf8Start
        for byte in bytes {
            guard lowercased(byte) == expected.pointee else { return false }
            expected += 1
        }
        return true
    }

    /// Whether `lhs` and `rhs` are equal ignoring the case of letters.
    @inlinable
    public static func equalsCaseInsensitive<Left: Collection<UInt8>, Right: Collection<UInt8>>(
        _ lhs: Left, _ rhs: Right
    ) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (left, right) in zip(lhs, rhs) where lowercased(left) != lowercased(right) {
            return false
        }
        return true
    }
}
