/// The UTF-8 bytes a string token stands for, produced one at a time from its escaped content.
///
/// Only valid for content `JSONCursor.scanString` accepted: it does no checking of its own. Producing bytes lazily
/// lets keys and short values be compared or copied into a stack buffer without building an array.
struct JSONUnescapedBytes: IteratorProtocol {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int
    private let end: Int
    /// The bytes still owed from a multi-byte scalar, lowest byte first.
    private var pending: UInt32 = 0
    private var pendingCount = 0

    init(_ token: JSONStringToken, in bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.position = token.content.lowerBound
        self.end = token.content.upperBound
    }

    mutating func next() -> UInt8? {
        if pendingCount > 0 {
            let byte = UInt8(truncatingIfNeeded: pending)
            pending >>= 8
            pendingCount -= 1
            return byte
        }
        guard position < end else { return nil }
        let byte = bytes[position]
        guard byte == UInt8(ascii: "\\") else {
            position += 1
            return byte
        }
        let escaped = bytes[position + 1]
        position += 2
        switch escaped {
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "u"): return encode(readScalar())
        default: return escaped
        }
    }

    /// The scalar of the `\u` escape whose hex digits start at `position`, joining a surrogate pair.
    private mutating func readScalar() -> UInt32 {
        let unit = readHexUnit()
        guard (0xD800...0xDBFF).contains(unit) else { return unit }
        position += 2
        let low = readHexUnit()
        return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
    }

    private mutating func readHexUnit() -> UInt32 {
        var unit: UInt32 = 0
        for index in position..<(position + 4) {
            unit = unit << 4 | (JSONCursor.hexValue(bytes[index]) ?? 0)
        }
        position += 4
        return unit
    }

    /// Returns the first UTF-8 byte of `scalar` and queues the rest.
    private mutating func encode(_ scalar: UInt32) -> UInt8 {
        switch scalar {
        case ..<0x80:
            return UInt8(scalar)
        case ..<0x800:
            pending = 0x80 | scalar & 0x3F
            pendingCount = 1
            return UInt8(0xC0 | scalar >> 6)
        case ..<0x10000:
            pending = (0x80 | scalar >> 6 & 0x3F) | (0x80 | scalar & 0x3F) << 8
            pendingCount = 2
            return UInt8(0xE0 | scalar >> 12)
        default:
            pending = (0x80 | scalar >> 12 & 0x3F) | (0x80 | scalar >> 6 & 0x3F) << 8 | (0x80 | scalar & 0x3F) << 16
            pendingCount = 3
            return UInt8(0xF0 | scalar >> 18)
        }
    }
}

extension JSONStringToken {
    /// Longest field name an error message repeats. Names are client bytes; capping them keeps a 400 body short
    /// whatever the client sent.
    static let maxNameBytesInMessage = 64

    func unescapedBytes(in bytes: UnsafeBufferPointer<UInt8>) -> JSONUnescapedBytes {
        JSONUnescapedBytes(self, in: bytes)
    }

    /// The value as an array, allocated once at its exact size.
    func unescapedArray(in bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        if !hasEscapes {
            return Array(UnsafeBufferPointer(rebasing: bytes[content]))
        }
        var count = 0
        var counter = unescapedBytes(in: bytes)
        while counter.next() != nil {
            count += 1
        }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var source = unescapedBytes(in: bytes)
            while let byte = source.next() {
                buffer[initialized] = byte
                initialized += 1
            }
        }
    }

    /// Calls `body` with the unescaped value, borrowing the body's bytes when there is nothing to unescape and a
    /// stack buffer of `maxBytes` otherwise. Returns nil without calling `body` when the value is longer than
    /// `maxBytes`: callers use this for values that are only acceptable when short.
    func withUnescaped<Result>(
        in bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result? {
        guard hasEscapes else {
            guard content.count <= maxBytes else { return nil }
            return body(UnsafeBufferPointer(rebasing: bytes[content]))
        }
        return withUnescapedCopy(in: bytes, maxBytes: maxBytes, body)
    }

    /// Kept out of line: inlined, the stack buffer's setup cost the common, escape-free path about 40 instructions
    /// per key (callgrind, 4% of decoding a typical event).
    @inline(never)
    private func withUnescapedCopy<Result>(
        in bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxBytes) { buffer in
            var source = unescapedBytes(in: bytes)
            var count = 0
            while let byte = source.next() {
                guard count < maxBytes else { return nil }
                buffer[count] = byte
                count += 1
            }
            return body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Whether both tokens stand for the same bytes once unescaped (`"a"` and `"\u0061"` are the same key).
    func hasSameValue(as other: JSONStringToken, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if !hasEscapes && !other.hasEscapes {
            let mine = UnsafeBufferPointer(rebasing: bytes[content])
            return mine.hasSameBytes(as: UnsafeBufferPointer(rebasing: bytes[other.content]))
        }
        var left = unescapedBytes(in: bytes)
        var right = other.unescapedBytes(in: bytes)
        while true {
            let byte = left.next()
            guard byte == right.next() else { return false }
            if byte == nil { return true }
        }
    }

    /// The value as text for an error message, cut at a character boundary after `maxNameBytesInMessage` bytes.
    func messageName(in bytes: UnsafeBufferPointer<UInt8>) -> String {
        var name = unescapedArray(in: bytes)
        guard name.count > JSONStringToken.maxNameBytesInMessage else { return String(decoding: name, as: UTF8.self) }
        var cut = JSONStringToken.maxNameBytesInMessage
        while name[cut] & 0xC0 == 0x80 {
            cut -= 1
        }
        name.removeSubrange(cut...)
        return String(decoding: name, as: UTF8.self) + "..."
    }
}
