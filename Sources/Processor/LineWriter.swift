import Glibc

/// Writes line protocol through a pointer into bytes reserved in advance.
///
/// The fast path wrote each point with about twenty `Array.append` calls, each checking uniqueness and capacity
/// and going through the generic sequence machinery: a sixth of its instructions (callgrind). Here the caller
/// reserves an upper bound once (`LineWriter.append(to:atMost:_:)`), every piece is a store or a `memcpy`, and
/// what was not used is cut off. Each method documents the most it writes; the bound must cover them.
struct LineWriter {
    private(set) var position: UnsafeMutablePointer<UInt8>

    /// Runs `body` over `bound` bytes appended to `out`, then keeps only the bytes it wrote.
    static func append(to out: inout [UInt8], atMost bound: Int, _ body: (inout LineWriter) -> Void) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        let written = out.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress! + start
            var writer = LineWriter(position: base)
            body(&writer)
            return writer.position - base
        }
        precondition(written <= bound, "line longer than its bound")
        out.removeLast(bound - written)
    }

    /// One byte.
    mutating func byte(_ value: UInt8) {
        position.pointee = value
        position += 1
    }

    /// `source.count` bytes.
    mutating func bytes(_ source: UnsafeBufferPointer<UInt8>) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        position.update(from: base, count: source.count)
        position += source.count
    }

    /// `source.count` bytes.
    mutating func bytes(_ source: [UInt8]) {
        source.withUnsafeBufferPointer { bytes($0) }
    }

    /// A measurement (`escapingEquals` false) or a key or tag value (true), escaped as `LineProtocol` describes:
    /// at most `2 * name.count` bytes.
    mutating func escaped(_ name: UnsafeBufferPointer<UInt8>, escapingEquals: Bool) {
        var lastWasBackslash = false
        for byte in name {
            lastWasBackslash = false
            switch byte {
            case 0x0A:
                self.byte(UInt8(ascii: "\\"))
                self.byte(UInt8(ascii: "n"))
            case 0x0D:
                self.byte(UInt8(ascii: "\\"))
                self.byte(UInt8(ascii: "r"))
            case UInt8(ascii: "\\"):
                self.byte(byte)
                lastWasBackslash = true
            case UInt8(ascii: ","), UInt8(ascii: " "):
                self.byte(UInt8(ascii: "\\"))
                self.byte(byte)
            case UInt8(ascii: "=") where escapingEquals:
                self.byte(UInt8(ascii: "\\"))
                self.byte(byte)
            default:
                self.byte(byte)
            }
        }
        if lastWasBackslash { byte(UInt8(ascii: "\\")) }
    }

    /// A string field value in quotes: at most `2 * value.count + 2` bytes.
    mutating func stringField(_ value: UnsafeBufferPointer<UInt8>) {
        byte(UInt8(ascii: "\""))
        for byte in value {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { self.byte(UInt8(ascii: "\\")) }
            self.byte(byte)
        }
        byte(UInt8(ascii: "\""))
    }

    /// The decimal digits of `value`: at most 20 bytes.
    mutating func decimal(_ value: Int64) {
        var magnitude = value.magnitude
        var digits = 0
        var scan = magnitude
        repeat {
            digits += 1
            scan /= 10
        } while scan > 0
        if value < 0 { byte(UInt8(ascii: "-")) }
        var cursor = position + digits
        repeat {
            cursor -= 1
            cursor.pointee = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        position += digits
    }
}
