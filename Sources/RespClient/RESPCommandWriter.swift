/// Writes the framing and payloads of one command into memory that `RESPEncoder.encodedLength` has already sized.
///
/// Writing through one pointer, instead of appending byte by byte, skips the uniqueness and capacity checks that
/// every `Array.append` repeats. Each write still checks the space left, so a length miscalculated here can only
/// stop the process, never write past the memory handed in.
struct RESPCommandWriter {
    private let destination: UnsafeMutableRawBufferPointer
    private(set) var position = 0

    init(into destination: UnsafeMutableRawBufferPointer) {
        self.destination = destination
    }

    var isFull: Bool {
        position == destination.count
    }

    /// `<type><count>\r\n`
    mutating func writeHeader(_ type: UInt8, count: Int) {
        writeByte(type)
        writeDecimal(count)
        writeCRLF()
    }

    mutating func writeCRLF() {
        writeByte(UInt8(ascii: "\r"))
        writeByte(UInt8(ascii: "\n"))
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        let target = reserve(bytes.count)
        target.copyMemory(from: source, byteCount: bytes.count)
    }

    /// `value` in base 10 with a leading `-` when negative, `Int.min` included (through its magnitude). Digits are
    /// written from the last one back, which divides only by the constant 10.
    mutating func writeDecimal(_ value: Int) {
        if value < 0 {
            writeByte(UInt8(ascii: "-"))
        }
        var rest = value.magnitude
        let digitCount = RESPDecimal.digitCount(rest)
        let target = reserve(digitCount)
        var index = digitCount
        repeat {
            index -= 1
            let digit = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
            target.storeBytes(of: digit, toByteOffset: index, as: UInt8.self)
            rest /= 10
        } while index > 0
    }

    private mutating func writeByte(_ byte: UInt8) {
        reserve(1).storeBytes(of: byte, as: UInt8.self)
    }

    /// The start of the next `count` bytes, which the caller must fill.
    @discardableResult
    private mutating func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        precondition(count <= destination.count - position, "command bytes exceed encodedLength")
        // The destination is never empty when a write fits: encodedLength counts at least `*0\r\n`.
        guard let base = destination.baseAddress else { preconditionFailure("command written into no memory") }
        defer { position += count }
        return base + position
    }
}
