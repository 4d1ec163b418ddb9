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
        appendEscaped(name, escaping: measurementSpecial, to: &out)
    }

    /// A tag key, a tag value or a field key.
    public static func appendKey(_ name: some Sequence<UInt8>, to out: inout [UInt8]) {
        appendEscaped(name, escaping: keySpecial, to: &out)
    }

    public static func appendStringField(_ value: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
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
        out.append(contentsOf: String(value).utf8)
        out.append(UInt8(ascii: "i"))
    }

    private static let measurementSpecial: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: " ")]
    private static let keySpecial: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: "="), UInt8(ascii: " ")]

    private static func appendEscaped(_ name: some Sequence<UInt8>, escaping special: [UInt8], to out: inout [UInt8]) {
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
                if special.contains(byte) { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
        }
        if lastWasBackslash { out.append(UInt8(ascii: "\\")) }
    }
}
