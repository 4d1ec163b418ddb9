/// InfluxDB line protocol, written byte by byte:
/// `measurement,tag=value,tag=value field=value,field="string" timestamp`.
///
/// The escaping rules (InfluxDB "Line protocol: special characters"):
/// - measurement: `,` and space are escaped with a backslash;
/// - tag keys, tag values and field keys: `,`, `=` and space are escaped;
/// - string field values: `"` and `\` are escaped, everything else (newlines included) goes inside the quotes;
/// - a newline cannot be escaped outside a string field: it would end the line. In names and tag values it is
///   written as the two characters `\n` (and CR as `\r`), which InfluxDB stores literally, so a hostile device id
///   can never split one point into two;
/// - a backslash is written as is (InfluxDB keeps a backslash that escapes nothing), except a trailing one, which
///   would escape the separator after it: that one is doubled.
public enum LineProtocol {
    public static func appendMeasurement(_ name: some Sequence<UInt8>, to out: inout [UInt8]) {
        appendEscaped(name, escapingEquals: false, to: &out)
    }

    /// A tag key, a tag value or a field key.
    public static func appendKey(_ name: some Sequence<UInt8>, to out: inout [UInt8]) {
        appendEscaped(name, escapingEquals: true, to: &out)
    }

    public static func appendStringField(_ value: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most values need no escape: one check, then one copy instead of an append per byte.
        if !value.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: value)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in value {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A float field. Nil-returning callers check `isFinite` first: line protocol has no NaN or infinity.
    public static func appendFloat(_ value: Double, to out: inout [UInt8]) {
        precondition(value.isFinite, "line protocol has no NaN or infinity")
        // Swift prints the shortest text that reads back to the same Double ("0.1", "1e-05", "42.0"), which
        // InfluxDB's ParseFloat accepts; integral values keep their ".0" so InfluxDB never infers an integer.
        out.append(contentsOf: value.description.utf8)
    }

    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        appendDecimal(value, to: &out)
        out.append(UInt8(ascii: "i"))
    }

    /// The decimal digits of `value`, without the `String` a 19-digit timestamp would allocate.
    public static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Writes a JSON number literal as `appendFloat(Double(literal)!)` would, without converting it, when the
    /// literal makes that easy: no exponent, at most 15 significant digits (so the shortest text that reads back
    /// to the same Double is the literal itself, less trailing zeros in the fraction), and a magnitude from 0.0001
    /// to below 10^15 (where Swift prints plain decimals). Returns false, writing nothing, for anything else.
    /// Converting and printing took about a fifth of the fast path's instructions (callgrind).
    public static func appendFloat(literal: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
        guard let split = SimpleFloatLiteral(literal) else { return false }
        if split.negative { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: literal[split.integer]))
        out.append(UInt8(ascii: "."))
        if split.fraction.isEmpty {
            out.append(UInt8(ascii: "0"))
        } else {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: literal[split.fraction]))
        }
        return true
    }

    /// Whether `appendFloat(literal:to:)` writes the literal.
    public static func isSimpleFloatLiteral(_ literal: UnsafeBufferPointer<UInt8>) -> Bool {
        SimpleFloatLiteral(literal) != nil
    }

    /// A valid JSON number literal split for `appendFloat(literal:to:)`: the integer digits and the fraction
    /// digits without their trailing zeros.
    private struct SimpleFloatLiteral: Equatable {
        var negative: Bool
        var integer: Range<Int>
        var fraction: Range<Int>

        init?(_ literal: UnsafeBufferPointer<UInt8>) {
            var index = 0
            negative = literal.first == UInt8(ascii: "-")
            if negative { index += 1 }
            let integerStart = index
            while index < literal.count, literal[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            integer = integerStart..<index
            guard !integer.isEmpty, integer.count <= 15 else { return nil }
            var fractionEnd = index
            if index < literal.count {
                guard literal[index] == UInt8(ascii: ".") else { return nil }  // an exponent
                index += 1
                let fractionStart = index
                while index < literal.count, literal[index] &- UInt8(ascii: "0") < 10 { index += 1 }
                guard index == literal.count, index > fractionStart else { return nil }
                fractionEnd = index
                while fractionEnd > fractionStart, literal[fractionEnd - 1] == UInt8(ascii: "0") { fractionEnd -= 1 }
                fraction = fractionStart..<fractionEnd
            } else {
                fraction = index..<index
            }
            let integerIsZero = integer.count == 1 && literal[integer.lowerBound] == UInt8(ascii: "0")
            guard integer.count == 1 || literal[integer.lowerBound] != UInt8(ascii: "0") else { return nil }
            if integerIsZero {
                // 0.000x and below print with an exponent; zero itself prints as 0.0.
                var leadingZeros = 0
                while fraction.lowerBound + leadingZeros < fraction.upperBound,
                    literal[fraction.lowerBound + leadingZeros] == UInt8(ascii: "0")
                {
                    leadingZeros += 1
                }
                guard fraction.isEmpty || (leadingZeros <= 3 && fraction.count - leadingZeros <= 15) else { return nil }
            } else {
                guard integer.count + fraction.count <= 15 else { return nil }
            }
        }
    }

    private static func appendEscaped(_ name: some Sequence<UInt8>, escapingEquals: Bool, to out: inout [UInt8]) {
        // Most names need no escape: one check, then one copy instead of an append per byte.
        let plain = !name.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\\") || byte == 0x0A
                || byte == 0x0D || (escapingEquals && byte == UInt8(ascii: "="))
        }
        if plain {
            out.append(contentsOf: name)
            return
        }
        var lastWasBackslash = false
        for byte in name {
            lastWasBackslash = false
            switch byte {
            case 0x0A:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\\"):
                out.append(byte)
                lastWasBackslash = true
            default:
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || (escapingEquals && byte == UInt8(ascii: "=")) {
                    out.append(UInt8(ascii: "\\"))
                }
                out.append(byte)
            }
        }
        if lastWasBackslash { out.append(UInt8(ascii: "\\")) }
    }
}
