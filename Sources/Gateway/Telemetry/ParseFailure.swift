/// Why decoding stopped, before it is worded for the client.
///
/// Only `.syntax` and `.tooDeep` say the body is not acceptable JSON. The other cases are about JSON that is not
/// acceptable telemetry, and they are raised as soon as they are seen, possibly before the rest of the body has been
/// read; `TelemetryDecoder` then checks the whole body's syntax so that broken JSON is always reported first.
enum ParseFailure: Error {
    case syntax(JSONSyntaxIssue, at: Int)
    case tooDeep
    case rejected(TelemetryValidationError)
    /// More array elements than `maxBatch`; the decoder counts them all before wording the message.
    case batchTooLarge
}

/// A violation of RFC 8259 (or of the UTF-8 rule it references), found at a byte offset.
enum JSONSyntaxIssue: Equatable {
    case unexpectedEnd
    case unexpectedByte(UInt8)
    case leadingZero
    case invalidEscape
    case invalidUnicodeEscape
    case unpairedSurrogate
    case controlCharacter
    case invalidUTF8

    /// ASCII only: a client byte is shown as itself only when it is printable ASCII, otherwise in hex.
    var text: String {
        switch self {
        case .unexpectedEnd:
            return "unexpected end of input"
        case .unexpectedByte(let byte):
            if byte >= 0x20 && byte < 0x7F {
                return "unexpected '\(Character(Unicode.Scalar(byte)))'"
            }
            let hex = String(byte, radix: 16, uppercase: true)
            return "unexpected byte 0x\(byte < 0x10 ? "0" : "")\(hex)"
        case .leadingZero:
            return "leading zeros are not allowed"
        case .invalidEscape:
            return "invalid escape sequence"
        case .invalidUnicodeEscape:
            return "invalid \\u escape"
        case .unpairedSurrogate:
            return "unpaired surrogate in \\u escape"
        case .controlCharacter:
            return "control character in string"
        case .invalidUTF8:
            return "invalid UTF-8"
        }
    }
}
