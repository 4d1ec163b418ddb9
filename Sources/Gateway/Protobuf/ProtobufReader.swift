/// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/) over a byte range: tags, varints,
/// fixed-width values and length-delimited fields, each checked against the bytes that remain.
///
/// A reader covers one message; a length-delimited field gives the range of a nested message, read by a reader of
/// its own, so nothing recurses on client input and a length can never reach past its enclosing message.
struct ProtobufReader {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset: Int
    let end: Int
    /// Where the last tag read started, so an error about its field points at the field.
    private var tagOffset = 0

    init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { offset >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextTag() throws(ProtobufWireError) -> (field: UInt32, wireType: ProtobufWireType)? {
        guard offset < end else { return nil }
        let start = offset
        tagOffset = start
        let key = try readVarint()
        // Field numbers are 29 bits (1 through 536,870,911); a larger key is as malformed as field 0.
        guard key >> 32 == 0, key >> 3 != 0 else { throw ProtobufWireError(.invalidFieldNumber, at: start) }
        guard let wireType = ProtobufWireType(rawValue: UInt8(key & 7)) else {
            throw ProtobufWireError(.invalidWireType(UInt8(key & 7)), at: start)
        }
        return (UInt32(key >> 3), wireType)
    }

    /// A base-128 varint of at most 10 bytes whose value fits in 64 bits.
    mutating func readVarint() throws(ProtobufWireError) -> UInt64 {
        // Tags and most values of this schema fit in one byte.
        if offset < end, bytes[offset] < 0x80 {
            offset += 1
            return UInt64(bytes[offset - 1])
        }
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw ProtobufWireError(.truncatedVarint, at: start) }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 {
                // The 10th byte holds bit 63 only: anything more overflows, a continuation bit makes it 11+ bytes.
                guard byte & 0x80 == 0 else { throw ProtobufWireError(.varintTooLong, at: start) }
                guard byte <= 1 else { throw ProtobufWireError(.varintOverflow, at: start) }
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func readFixed64() throws(ProtobufWireError) -> UInt64 {
        guard end - offset >= 8 else { throw ProtobufWireError(.truncatedFixed(8), at: offset) }
        var value: UInt64 = 0
        for index in (0..<8).reversed() {
            value = value << 8 | UInt64(bytes[offset + index])
        }
        offset += 8
        return value
    }

    mutating func readFixed32() throws(ProtobufWireError) -> UInt32 {
        guard end - offset >= 4 else { throw ProtobufWireError(.truncatedFixed(4), at: offset) }
        var value: UInt32 = 0
        for index in (0..<4).reversed() {
            value = value << 8 | UInt32(bytes[offset + index])
        }
        offset += 4
        return value
    }

    /// The range of a length-delimited field's payload, which must lie within this message.
    mutating func readLengthDelimited() throws(ProtobufWireError) -> Range<Int> {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(end - offset) else { throw ProtobufWireError(.lengthPastEnd(length), at: start) }
        let payload = offset..<(offset + Int(length))
        offset = payload.upperBound
        return payload
    }

    /// Steps over the value of a field this decoder does not know, as protobuf requires of every parser so that
    /// newer senders keep working. Groups (wire types 3 and 4) were deprecated before proto3 and appear in no
    /// schema this gateway accepts; they are refused rather than tracked, which also rules out group nesting bombs.
    mutating func skip(_ wireType: ProtobufWireType) throws(ProtobufWireError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case .startGroup, .endGroup: throw ProtobufWireError(.group(wireType.rawValue), at: tagOffset)
        }
    }
}

enum ProtobufWireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5

    /// The name protobuf's encoding guide uses, for messages.
    var name: String {
        switch self {
        case .varint: "VARINT"
        case .fixed64: "I64"
        case .lengthDelimited: "LEN"
        case .startGroup: "SGROUP"
        case .endGroup: "EGROUP"
        case .fixed32: "I32"
        }
    }
}

/// Bytes that are not a protobuf message, at a byte offset in the (inflated) body.
struct ProtobufWireError: Error, Equatable {
    enum Issue: Equatable {
        case truncatedVarint
        case varintTooLong
        case varintOverflow
        case truncatedFixed(Int)
        case lengthPastEnd(UInt64)
        case invalidFieldNumber
        case invalidWireType(UInt8)
        case group(UInt8)
    }

    let issue: Issue
    let offset: Int

    init(_ issue: Issue, at offset: Int) {
        self.issue = issue
        self.offset = offset
    }

    var text: String {
        switch issue {
        case .truncatedVarint: "truncated varint"
        case .varintTooLong: "varint longer than 10 bytes"
        case .varintOverflow: "varint overflows 64 bits"
        case .truncatedFixed(let size): "truncated \(size * 8)-bit value"
        case .lengthPastEnd(let length): "length \(length) runs past the end of the message"
        case .invalidFieldNumber: "invalid field number"
        case .invalidWireType(let type): "invalid wire type \(type)"
        case .group(let type): "group wire type \(type) is not supported"
        }
    }
}
