extension RFC3339 {
    /// The range `write(epochMicroseconds:to:)` can write: years 0000 through 9999.
    static let microsecondRange: ClosedRange<Int64> = -62_167_219_200_000_000...253_402_300_799_999_999
    private static let microsecondsPerDay: Int64 = 86_400_000_000

    /// The calendar date of the last day converted: the samples of one batch nearly always share their day, so
    /// `civilDate` runs about once per batch instead of once per sample.
    struct DayCache {
        fileprivate var day = Int64.min
        fileprivate var date = (year: 0, month: 0, day: 0)

        init() {}
    }

    /// Writes the 27 bytes of `2026-11-30T06:37:24.123456Z` (UTC, microseconds: what a protobuf `timestamp_us`
    /// holds) for a Unix time in microseconds within `microsecondRange`.
    static func write(epochMicroseconds: Int64, to output: UnsafeMutablePointer<UInt8>, cache: inout DayCache) {
        precondition(microsecondRange.contains(epochMicroseconds), "timestamp outside years 0000-9999")
        let days =
            epochMicroseconds >= 0
            ? epochMicroseconds / microsecondsPerDay
            : (epochMicroseconds - microsecondsPerDay + 1) / microsecondsPerDay
        let microsecondOfDay = Int(epochMicroseconds - days * microsecondsPerDay)
        if cache.day != days {
            cache.date = civilDate(daysSinceEpoch: Int(days))
            cache.day = days
        }
        let (year, month, day) = cache.date
        let second = microsecondOfDay / 1_000_000
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
        put(second / 3600, digits: 2, at: 11)
        output[13] = UInt8(ascii: ":")
        put(second / 60 % 60, digits: 2, at: 14)
        output[16] = UInt8(ascii: ":")
        put(second % 60, digits: 2, at: 17)
        output[19] = UInt8(ascii: ".")
        put(microsecondOfDay % 1_000_000, digits: 6, at: 20)
        output[26] = UInt8(ascii: "Z")
    }
}
