/// RFC 3339 date-times: the `received_at` text the gateway writes, and the check of a client's `timestamp`.
///
/// Hand-written on bytes because both run per event: no `Date`, no formatter, no locale, no allocation beyond the
/// returned array.
public enum RFC3339 {
    /// The longest valid text: `YYYY-MM-DDTHH:MM:SS.fffffffff+hh:mm`.
    static let maxLength = 35

    /// The range `format` can write: years 0000 through 9999, the four digits RFC 3339 has.
    private static let earliestMilliseconds: Int64 = -62_167_219_200_000
    private static let latestMilliseconds: Int64 = 253_402_300_799_999
    private static let millisecondsPerDay: Int64 = 86_400_000

    /// `2026-11-30T06:37:24.123Z` (UTC, millisecond precision) for a Unix time in milliseconds. Times outside years
    /// 0000–9999 are clamped to the nearest end of that range.
    public static func format(epochMilliseconds: Int64) -> [UInt8] {
        let clamped = min(max(epochMilliseconds, earliestMilliseconds), latestMilliseconds)
        let days = clamped >= 0 ? clamped / millisecondsPerDay : (clamped - millisecondsPerDay + 1) / millisecondsPerDay
        let millisecondOfDay = Int(clamped - days * millisecondsPerDay)
        let (year, month, day) = civilDate(daysSinceEpoch: Int(days))
        return [UInt8](unsafeUninitializedCapacity: 24) { output, written in
            func put(_ value: Int, digits: Int, at position: Int) {
                var remaining = value
                for index in stride(from: position + digits - 1, through: position, by: -1) {
                    output[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                }
            }
            put(year, digits: 4, at: 0)
            output[4] = UInt8(ascii: "-")
            put(month, digits: 2, at: 5)
            output[7] = UInt8(ascii: "-")
            put(day, digits: 2, at: 8)
            output[10] = UInt8(ascii: "T")
            put(millisecondOfDay / 3_600_000, digits: 2, at: 11)
            output[13] = UInt8(ascii: ":")
            put(millisecondOfDay / 60_000 % 60, digits: 2, at: 14)
            output[16] = UInt8(ascii: ":")
            put(millisecondOfDay / 1000 % 60, digits: 2, at: 17)
            output[19] = UInt8(ascii: ".")
            put(millisecondOfDay % 1000, digits: 3, at: 20)
            output[23] = UInt8(ascii: "Z")
            written = 24
        }
    }

    /// Whether `bytes` are exactly one RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS`, then 1 to 9 fractional digits
    /// after a `.` if any, then `Z` or `+hh:mm`/`-hh:mm`. Fields must be real calendar values (February 29 only in
    /// leap years); second 60 is accepted for a leap second. `T` and `Z` may be lowercase, as RFC 3339 §5.6 allows.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 20 && bytes.count <= maxLength else { return false }
        let text = bytes.assumingMemoryBound(to: UInt8.self)
        func number(at position: Int, digits: Int) -> Int? {
            var value = 0
            for index in position..<(position + digits) {
                let digit = text[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(at: 0, digits: 4), text[4] == UInt8(ascii: "-"),
            let month = number(at: 5, digits: 2), text[7] == UInt8(ascii: "-"),
            let day = number(at: 8, digits: 2), text[10] | 0x20 == UInt8(ascii: "t"),
            let hour = number(at: 11, digits: 2), text[13] == UInt8(ascii: ":"),
            let minute = number(at: 14, digits: 2), text[16] == UInt8(ascii: ":"),
            let second = number(at: 17, digits: 2)
        else { return false }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour <= 23, minute <= 59, second <= 60
        else { return false }

        var position = 19
        if text[position] == UInt8(ascii: ".") {
            position += 1
            let fractionStart = position
            while position < text.count && text[position] &- UInt8(ascii: "0") < 10 {
                position += 1
            }
            guard (1...9).contains(position - fractionStart) else { return false }
        }
        guard position < text.count else { return false }
        switch text[position] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            return position + 1 == text.count
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard position + 6 == text.count, let offsetHour = number(at: position + 1, digits: 2),
                text[position + 3] == UInt8(ascii: ":"), let offsetMinute = number(at: position + 4, digits: 2)
            else { return false }
            return offsetHour <= 23 && offsetMinute <= 59
        default:
            return false
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Proleptic Gregorian year, month and day for a count of days since 1970-01-01, using Howard Hinnant's
    /// `civil_from_days`: exact over the whole range with a few integer divisions and no tables.
    static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = daysSinceEpoch + 719_468  // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 is March
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
