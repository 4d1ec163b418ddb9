/// One reply from Redis, RESP2 or RESP3, fully decoded.
///
/// The cases follow the RESP3 type bytes one to one, so a caller can tell a RESP3 `set` from an `array` or a `push`
/// from an ordinary reply. RESP2 nulls (`$-1`, `*-1`) and the RESP3 null (`_`) all become `.null`: no caller has a
/// reason to tell them apart, and one case keeps every `switch` short.
///
/// Doubles compare with `==`, so a `.double(.nan)` is not equal to itself; match the case and test `isNaN` instead.
public enum RESPValue: Sendable, Equatable {
    /// `+` A status line such as `OK`.
    case simpleString(String)
    /// `-` a simple error or `!` a blob error: the text Redis sent, including its leading code (`ERR`, `WRONGTYPE`).
    case error(String)
    /// `:`
    case integer(Int64)
    /// `$` Binary safe: kept as bytes because stream IDs, keys and payloads need no decoding to be used.
    case bulkString([UInt8])
    /// `$-1`, `*-1` and `_`.
    case null
    /// `*`
    case array([RESPValue])
    /// `#`
    case boolean(Bool)
    /// `,` Includes `inf`, `-inf` and `nan`.
    case double(Double)
    /// `(` Kept as its decimal digits (with an optional leading `-`): no fixed-width type can hold it.
    case bigNumber(String)
    /// `=` The three-byte format (`txt`, `mkd`) and the text that followed its `:`.
    case verbatimString(format: String, text: [UInt8])
    /// `%` Pairs in the order Redis sent them; keys are values too, and RESP does not promise they are unique.
    case map([RESPPair])
    /// `~`
    case set([RESPValue])
    /// `>` Out-of-band data (pub/sub messages, invalidations) that answers no command.
    case push([RESPValue])
    /// `|` The attribute map and the reply it annotates, kept together so the reply is not lost to a caller that
    /// ignores attributes.
    indirect case attributed([RESPPair], RESPValue)
}

/// One key and its value inside a RESP3 map or attribute.
public struct RESPPair: Sendable, Equatable {
    public var key: RESPValue
    public var value: RESPValue

    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}

extension RESPValue {
    /// The text of a reply that carries text: a simple string, a bulk string or a verbatim string's text.
    ///
    /// Bulk and verbatim bytes are decoded as UTF-8, with invalid sequences replaced rather than rejected, because a
    /// caller asking for a `String` wants something printable. Use the case payload when the exact bytes matter.
    public var string: String? {
        switch self {
        case .simpleString(let text):
            return text
        case .bulkString(let bytes):
            return String(decoding: bytes, as: UTF8.self)
        case .verbatimString(_, let text):
            return String(decoding: text, as: UTF8.self)
        default:
            return nil
        }
    }
}
