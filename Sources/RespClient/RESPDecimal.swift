/// Sizes of the decimal numbers in RESP headers and integer arguments.
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

    /// Bytes of `value` in base 10, with its `-` when negative.
    static func length(of value: Int) -> Int {
        digitCount(value.magnitude) + (value < 0 ? 1 : 0)
    }
}
