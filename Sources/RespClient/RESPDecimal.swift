/// Decimal text for the numbers in RESP headers and integer arguments, written byte by byte.
///
/// `String(describing:)` would allocate a string per number only to copy its bytes out again.
enum RESPDecimal {
    /// Digits in `value` written in base 10 (hiredis `countDigits`); 1 for zero.
    static func digitCount(_ value: UInt) -> Int {
        var count = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            count += 1
        }
        return count
    }

    /// Appends `value` in base 10, most significant digit first.
    static func append(_ value: UInt, to buffer: inout [UInt8]) {
        var divisor: UInt = 1
        for _ in 1..<digitCount(value) {
            divisor &*= 10
        }
        var rest = value
        while divisor > 0 {
            buffer.append(UInt8(truncatingIfNeeded: rest / divisor) &+ UInt8(ascii: "0"))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Appends `value` in base 10 with a leading `-` when negative; `Int.min` included, through its magnitude.
    static func append(_ value: Int, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
        }
        append(value.magnitude, to: &buffer)
    }
}
