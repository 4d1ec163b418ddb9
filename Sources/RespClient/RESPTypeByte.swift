/// The type bytes that open a RESP line: the whole value sits between the type byte and the CRLF.
enum RESPLineType: UInt8 {
    case simpleString = 0x2B  // +
    case simpleError = 0x2D  // -
    case integer = 0x3A  // :
    case double = 0x2C  // ,
    case null = 0x5F  // _
    case boolean = 0x23  // #
    case bigNumber = 0x28  // (
}

/// The type bytes that open a length-prefixed blob: `<type><length>\r\n<bytes>\r\n`.
enum RESPBlobType: UInt8 {
    case bulkString = 0x24  // $
    case blobError = 0x21  // !
    case verbatimString = 0x3D  // =
}

extension RESPPartialAggregate.Kind {
    /// The aggregate opened by `byte`, nil for any other byte.
    init?(typeByte byte: UInt8) {
        switch byte {
        case 0x2A: self = .array  // *
        case 0x7E: self = .set  // ~
        case 0x3E: self = .push  // >
        case 0x25: self = .map  // %
        case 0x7C: self = .attribute  // |
        default: return nil
        }
    }
}
