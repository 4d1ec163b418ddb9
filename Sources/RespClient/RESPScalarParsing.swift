import Reactor

/// Strict readers for the text of RESP number lines.
///
/// They accept exactly what Redis writes and nothing looser, so a byte stream that has slipped out of frame (a body
/// read as a header) fails here instead of yielding a plausible number.
enum RESPScalarParsing {
    private static let zero = UInt8(ascii: "0")
    private static let minus = UInt8(ascii: "-")
    private static let plus = UInt8(ascii: "+")

    /// An `Int64` written the way hiredis `string2ll` demands: an optional `-`, then digits with no leading zero
    /// (a lone `0` aside), no `+`, no spaces, nothing empty, and within `Int64.min...Int64.max`.
    ///
    /// Being this strict means every accepted text has exactly one value and converts back to the same text.
    static func int64(_ text: ArraySlice<UInt8>) -> Int64? {
        var index = text.startIndex
        guard index < text.endIndex else { return nil }
        let negative = text[index] == minus
        if negative { index += 1 }
        guard index < text.endIndex else { return nil }
        if text[index] == zero {
            return !negative && index + 1 == text.endIndex ? 0 : nil
        }
        var magnitude: UInt64 = 0
        while index < text.endIndex {
            let digit = text[index] &- zero
            guard digit < 10 else { return nil }
            let (shifted, shiftOverflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, addOverflow) = shifted.addingReportingOverflow(UInt64(digit))
            guard !shiftOverflow, !addOverflow else { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            guard magnitude <= Int64.min.magnitude else { return nil }
            return Int64(bitPattern: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A RESP3 double: `inf`, `-inf`, `nan` in any letter case (and with either sign, as Redis' own reply reader
    /// allows), or `[+|-]digits[.digits][(e|E)[+|-]digits]`. A decimal that overflows to infinity is rejected:
    /// Redis writes infinities only as `inf`.
    static func double(_ text: ArraySlice<UInt8>) -> Double? {
        var unsigned = text
        var negative = false
        if let sign = unsigned.first, sign == minus || sign == plus {
            negative = sign == minus
            unsigned = unsigned.dropFirst()
        }
        if isWord(unsigned, "inf") { return negative ? -.infinity : .infinity }
        if isWord(unsigned, "nan") { return .nan }
        guard isDecimal(unsigned) else { return nil }
        // The grammar check above leaves only plain decimal text, so the locale-independent stdlib parser cannot
        // wander into hex floats or `infinity`; the text is rarely longer than a small string and does not allocate.
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    /// An optional `-` followed by at least one digit: the text of a RESP3 big number.
    static func isBigNumber(_ text: ArraySlice<UInt8>) -> Bool {
        var digits = text
        if digits.first == minus { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy(isDigit)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- zero < 10
    }

    private static func isWord(_ text: ArraySlice<UInt8>, _ lowercase: StaticString) -> Bool {
        text.withUnsafeBytes { ASCII.equalsLowercase($0, lowercase) }
    }

    private static func isDecimal(_ text: ArraySlice<UInt8>) -> Bool {
        var index = text.startIndex
        func skipDigits() -> Int {
            let start = index
            while index < text.endIndex, isDigit(text[index]) { index += 1 }
            return index - start
        }
        guard skipDigits() > 0 else { return false }
        if index < text.endIndex, text[index] == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() > 0 else { return false }
        }
        if index < text.endIndex, text[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < text.endIndex, text[index] == minus || text[index] == plus { index += 1 }
            guard skipDigits() > 0 else { return false }
        }
        return index == text.endIndex
    }
}
