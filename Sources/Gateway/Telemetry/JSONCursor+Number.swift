/// A number in the body, with the digit runs the finiteness check needs, so it never has to be converted to Double.
struct JSONNumberToken {
    var integerDigits: Range<Int>
    /// Empty when there is no fraction.
    var fractionDigits: Range<Int>
    /// The decimal exponent, saturated far beyond anything that could still be finite or non-zero.
    var exponent: Int
}

extension JSONCursor {
    /// Above this, exponent digits are still checked but no longer accumulated: a body cannot hold enough digits
    /// for such an exponent to matter, and saturating keeps the arithmetic from overflowing.
    private static let exponentSaturation = 1 << 40

    /// Reads a number at the cursor under RFC 8259's grammar: an optional minus, no leading zeros, at least one
    /// digit after a decimal point and in an exponent. `NaN` and `Infinity` are not numbers there, and are refused by
    /// the caller as unexpected bytes.
    mutating func scanNumber() throws(ParseFailure) -> JSONNumberToken {
        if current == UInt8(ascii: "-") {
            offset += 1
        }
        let integerStart = offset
        guard let first = current, JSONCursor.isDigit(first) else { throw unexpected() }
        offset += 1
        if first == UInt8(ascii: "0") {
            if let next = current, JSONCursor.isDigit(next) { throw .syntax(.leadingZero, at: offset) }
        } else {
            skipDigits()
        }
        let integerDigits = integerStart..<offset

        var fractionDigits = offset..<offset
        if current == UInt8(ascii: ".") {
            offset += 1
            let fractionStart = offset
            guard let digit = current, JSONCursor.isDigit(digit) else { throw unexpected() }
            skipDigits()
            fractionDigits = fractionStart..<offset
        }

        var exponent = 0
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            let isNegative = current == UInt8(ascii: "-")
            if isNegative || current == UInt8(ascii: "+") {
                offset += 1
            }
            guard let digit = current, JSONCursor.isDigit(digit) else { throw unexpected() }
            while let digit = current, JSONCursor.isDigit(digit) {
                if exponent < JSONCursor.exponentSaturation {
                    exponent = exponent * 10 + Int(digit &- UInt8(ascii: "0"))
                }
                offset += 1
            }
            if isNegative {
                exponent = -exponent
            }
        }
        return JSONNumberToken(integerDigits: integerDigits, fractionDigits: fractionDigits, exponent: exponent)
    }

    private mutating func skipDigits() {
        while let digit = current, JSONCursor.isDigit(digit) {
            offset += 1
        }
    }
}

extension JSONNumberToken {
    /// The significant digits of 2^1024 - 2^970, the midpoint between Double.greatestFiniteMagnitude and 2^1024.
    /// Round-to-nearest-even turns any decimal at or above it into infinity (the tie goes up, because the
    /// significand of greatestFiniteMagnitude is odd) and anything below it into a finite Double.
    private static let overflowThreshold: StaticString = """
        17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797758720709633028\
        64166928879109465555478519404026306574886715058206819089020007083836762738548458177115317644757302700698555\
        71366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792
        """

    /// Whether the number converts to a finite Double, decided exactly from its digits.
    ///
    /// The decimal magnitude settles almost every number without looking at its digits; only values in
    /// [1e308, 1e309) are compared digit by digit with the overflow threshold. That is exact where `strtod` would
    /// be, costs nothing on ordinary values, and takes linear time on a number of any length.
    func isFinite(in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // The value lies in [10^magnitude, 10^(magnitude + 1)).
        let magnitude: Int
        let firstSignificant: Int
        if bytes[integerDigits.lowerBound] != UInt8(ascii: "0") {
            firstSignificant = integerDigits.lowerBound
            magnitude = integerDigits.count - 1 + exponent
        } else {
            var index = fractionDigits.lowerBound
            while index < fractionDigits.upperBound && bytes[index] == UInt8(ascii: "0") {
                index += 1
            }
            if index == fractionDigits.upperBound { return true }
            firstSignificant = index
            magnitude = exponent - (index - fractionDigits.lowerBound) - 1
        }
        if magnitude != 308 { return magnitude < 308 }

        let threshold = JSONNumberToken.overflowThreshold
        let thresholdDigits = UnsafeBufferPointer(start: threshold.utf8Start, count: threshold.utf8CodeUnitCount)
        var position = 0
        var index = firstSignificant
        while index < fractionDigits.upperBound {
            if index == integerDigits.upperBound {
                // Step over the decimal point.
                index = fractionDigits.lowerBound
                continue
            }
            let limit = position < thresholdDigits.count ? thresholdDigits[position] : UInt8(ascii: "0")
            if bytes[index] != limit { return bytes[index] < limit }
            position += 1
            index += 1
        }
        // Equal so far: below the threshold exactly when the threshold has digits left, since its last one is not 0.
        return position < thresholdDigits.count
    }
}
