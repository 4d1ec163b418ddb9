/// One argument of a command, in whichever form the caller already holds it, so that encoding copies its bytes
/// straight into the output without building an intermediate `String` or `[UInt8]`.
public enum RESPArgument: Sendable {
    case bytes([UInt8])
    /// Part of a larger buffer (a field cut out of a request body) without copying it out first.
    case slice(ArraySlice<UInt8>)
    /// Written through its UTF-8 view, which for a native string is its storage: no bridging or transcoding.
    case string(String)
    /// Command names and fixed keys: no allocation and no reference counting.
    case staticString(StaticString)
    /// Written as decimal digits by hand, without `String(describing:)`.
    case integer(Int)
}

extension RESPArgument {
    /// Bytes of the argument's payload, without the `$<len>\r\n` header and trailing CRLF.
    var byteCount: Int {
        switch self {
        case .bytes(let bytes):
            return bytes.count
        case .slice(let slice):
            return slice.count
        case .string(let string):
            return string.utf8.count
        case .staticString(let string):
            // `utf8CodeUnitCount` traps for a single-scalar StaticString; the buffer view works for both forms.
            return string.withUTF8Buffer { $0.count }
        case .integer(let integer):
            return RESPDecimal.length(of: integer)
        }
    }
}
