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
        withBytes(name) { name in
            LineWriter.append(to: &out, atMost: 2 * name.count) { $0.escaped(name, escapingEquals: false) }
        }
    }

    /// A tag key, a tag value or a field key.
    public static func appendKey(_ name: some Sequence<UInt8>, to out: inout [UInt8]) {
        withBytes(name) { name in
            LineWriter.append(to: &out, atMost: 2 * name.count) { $0.escaped(name, escapingEquals: true) }
        }
    }

    public static func appendStringField(_ value: some Sequence<UInt8>, to out: inout [UInt8]) {
        withBytes(value) { value in
            LineWriter.append(to: &out, atMost: 2 * value.count + 2) { $0.stringField(value) }
        }
    }

    /// A float field. Nil-returning callers check `isFinite` first: line protocol has no NaN or infinity.
    public static func appendFloat(_ value: Double, to out: inout [UInt8]) {
        LineWriter.append(to: &out, atMost: LineWriter.maxFloatBytes) { $0.float(value) }
    }

    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        appendDecimal(value, to: &out)
        out.append(UInt8(ascii: "i"))
    }

    /// The decimal digits of `value`, without the `String` a 19-digit timestamp would allocate.
    public static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        LineWriter.append(to: &out, atMost: LineWriter.maxDecimalBytes) { $0.decimal(value) }
    }

    /// Writes a JSON number literal as `appendFloat(Double(literal)!)` would, without converting it, when the
    /// literal makes that easy: no exponent, at most 15 significant digits (so the shortest text that reads back
    /// to the same Double is the literal itself, less trailing zeros in the fraction), and a magnitude from 0.0001
    /// to below 10^15 (where Swift prints plain decimals). Returns false, writing nothing, for anything else.
    /// Converting and printing took about a fifth of the fast path's instructions (callgrind).
    public static func appendFloat(literal: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
        guard let split = SimpleFloatLiteral(literal) else { return false }
        LineWriter.append(to: &out, atMost: literal.count + 2) { $0.float(literal: literal, split) }
        return true
    }

    /// Whether `appendFloat(literal:to:)` writes the literal.
    public static func isSimpleFloatLiteral(_ literal: UnsafeBufferPointer<UInt8>) -> Bool {
        SimpleFloatLiteral(literal) != nil
    }

    private static func withBytes<Result>(
        _ bytes: some Sequence<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
        return Array(bytes).withUnsafeBufferPointer(body)
    }

    /// A valid JSON number literal split for `appendFloat(literal:to:)`: the integer digits and the fraction
    /// digits without their trailing zeros.
    struct SimpleFloatLiteral: Equatable {
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
}

extension LineWriter {
    /// The most `float(_:)` writes: Swift's longest Double text is 24 bytes (`-2.2250738585072014e-308`).
    static let maxFloatBytes = 32
    static let maxDecimalBytes = 20

    /// Swift's shortest round-trip text of a finite Double, `.0` kept on integral values: at most `maxFloatBytes`.
    mutating func float(_ value: Double) {
        precondition(value.isFinite, "line protocol has no NaN or infinity")
        // Swift prints the shortest text that reads back to the same Double ("0.1", "1e-05", "42.0"), which
        // InfluxDB's ParseFloat accepts; integral values keep their ".0" so InfluxDB never infers an integer.
        var text = value.description
        text.withUTF8 { bytes($0) }
    }

    /// A simple literal (`LineProtocol.SimpleFloatLiteral`) as `float(_:)` would print its value: at most
    /// `literal.count + 2` bytes.
    mutating func float(literal: UnsafeBufferPointer<UInt8>, _ split: LineProtocol.SimpleFloatLiteral) {
        if split.negative { byte(UInt8(ascii: "-")) }
        bytes(UnsafeBufferPointer(rebasing: literal[split.integer]))
        byte(UInt8(ascii: "."))
        if split.fraction.isEmpty {
            byte(UInt8(ascii: "0"))
        } else {
            bytes(UnsafeBufferPointer(rebasing: literal[split.fraction]))
        }
    }
}
