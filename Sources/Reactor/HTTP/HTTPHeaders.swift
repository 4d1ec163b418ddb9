/// The header fields of one request, in arrival order, duplicates kept.
///
/// Storage is the head's own byte copy plus one table of offsets, so looking a field up costs a linear walk over at
/// most `maxHeaderCount` short names and no allocation; Strings are built only by the accessors that return them.
/// Values are stored already trimmed of leading and trailing SP/HTAB. Names match ASCII case-insensitively.
public struct HTTPHeaders: Sendable, Sequence {
    /// Where one field line's name and trimmed value sit in `bytes`. Four 32-bit offsets keep a 100-field table at
    /// 1.6 KiB; a head is bounded by the parser limits far below 4 GiB.
    struct Field: Sendable {
        var nameStart: UInt32
        var nameEnd: UInt32
        var valueStart: UInt32
        var valueEnd: UInt32

        var name: Range<Int> { Int(nameStart)..<Int(nameEnd) }
        var value: Range<Int> { Int(valueStart)..<Int(valueEnd) }
    }

    let bytes: [UInt8]
    let fields: [Field]

    init(bytes: [UInt8], fields: [Field]) {
        self.bytes = bytes
        self.fields = fields
    }

    public var count: Int { fields.count }

    /// The first value of the field `name`, or nil when absent.
    public subscript(name: String) -> String? {
        withValueBytes(named: name) { value in value.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Every value of the field `name`, in arrival order.
    public func values(named name: String) -> [String] {
        var name = name
        return name.withUTF8 { wanted in
            bytes.withUnsafeBytes { all in
                var values: [String] = []
                for field in fields where Self.name(of: field, in: all, equals: wanted) {
                    values.append(String(decoding: all[field.value], as: UTF8.self))
                }
                return values
            }
        }
    }

    public func contains(_ name: String) -> Bool {
        withValueBytes(named: name) { $0 != nil }
    }

    /// Byte-level, allocation-free: does the header's value equal `token` case-insensitively (after trimming OWS)?
    public func value(named name: String, equalsCaseInsensitive token: String) -> Bool {
        var token = token
        return token.withUTF8 { token in
            withValueBytes(named: name) { value in
                guard let value else { return false }
                return ASCII.equalsCaseInsensitive(value, UnsafeRawBufferPointer(token))
            }
        }
    }

    /// Calls body with the raw value bytes of the first header named `name` (nil when absent).
    public func withValueBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        var name = name
        let found: Range<Int>? = name.withUTF8 { wanted in
            bytes.withUnsafeBytes { all in
                fields.first { Self.name(of: $0, in: all, equals: wanted) }?.value
            }
        }
        guard let found else { return try body(nil) }
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[found])) }
    }

    private static func name(
        of field: Field, in all: UnsafeRawBufferPointer, equals wanted: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        ASCII.equalsCaseInsensitive(
            UnsafeRawBufferPointer(rebasing: all[field.name]), UnsafeRawBufferPointer(wanted))
    }

    public func makeIterator() -> Iterator {
        Iterator(headers: self)
    }

    /// Yields each field as Strings; for logs and tests rather than the request path.
    public struct Iterator: IteratorProtocol {
        private let headers: HTTPHeaders
        private var index = 0

        init(headers: HTTPHeaders) {
            self.headers = headers
        }

        public mutating func next() -> (name: String, value: String)? {
            guard index < headers.fields.count else { return nil }
            let field = headers.fields[index]
            index += 1
            return (
                name: String(decoding: headers.bytes[field.name], as: UTF8.self),
                value: String(decoding: headers.bytes[field.value], as: UTF8.self)
            )
        }
    }
}
