/// Bytes from the server that are not valid RESP, or that break one of the decoder's limits.
///
/// There is one kind only: whatever the reason, the stream can no longer be framed and the connection has to go.
/// The reason is for logs and tests.
public struct RESPProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String {
        "RESP protocol error: \(reason)"
    }
}

extension RESPProtocolError {
    static func unexpectedTypeByte(_ byte: UInt8) -> RESPProtocolError {
        let shown =
            (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
        return RESPProtocolError(reason: "unexpected reply type byte \(shown)")
    }

    static let crWithoutLF = RESPProtocolError(reason: "CR not followed by LF")
    static let lfWithoutCR = RESPProtocolError(reason: "LF without a preceding CR")
    static let lineTooLong = RESPProtocolError(reason: "line longer than the limit")
    static let badInteger = RESPProtocolError(reason: "bad integer value")
    static let badLength = RESPProtocolError(reason: "bad length")
    static let lengthOutOfRange = RESPProtocolError(reason: "length out of range")
    static let nullNotAllowed = RESPProtocolError(reason: "length -1 is only a null for '$' and '*'")
    static let bulkTooLarge = RESPProtocolError(reason: "blob longer than the limit")
    static let bulkNotTerminated = RESPProtocolError(reason: "blob not followed by CRLF")
    static let badVerbatim = RESPProtocolError(reason: "verbatim string without a 3-byte format and ':'")
    static let tooManyElements = RESPProtocolError(reason: "aggregate has more elements than the limit")
    static let tooDeep = RESPProtocolError(reason: "aggregates nested deeper than the limit")
    static let badDouble = RESPProtocolError(reason: "bad double value")
    static let badBoolean = RESPProtocolError(reason: "bad boolean value")
    static let badNull = RESPProtocolError(reason: "null with content")
    static let badBigNumber = RESPProtocolError(reason: "bad big number value")
}
