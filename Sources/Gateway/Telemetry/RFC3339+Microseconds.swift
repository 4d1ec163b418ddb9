extension RFC3339 {
    /// The range `append(epochMicroseconds:to:)` can write: years 0000 through 9999.
    static let microsecondRange: ClosedRange<Int64> = -62_167_219_200_000_000...253_402_300_799_999_999
    private static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Appends `2026-11-30T06:37:24.123456Z` (UTC, microseconds: what a protobuf `timestamp_us` holds) for a Unix
    /// time in microseconds; false, appending nothing, outside years 0000–9999.
    static func append(epochMicroseconds: Int64, to output: inout [UInt8]) -> Bool {
        guard microsecondRange.contains(epochMicroseconds) else { return false }
        let days = epochMicroseconds >= 0
            ? epochMicroseconds / microsecondsPerDay
            : (epochMicroseconds - microsecondsPerDay + 1) / microsecondsPerDay
        let microsecondOfDay = epochMicroseconds - days * microsecondsPerDay
        let (year, month, day) = civilDate(daysSinceEpoch: Int(days))
        let second = Int(microsecondOfDay / 1_000_000)
        func put(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                output.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        put(year, digits: 4)
        output.append(UInt8(ascii: "-"))
        put(month, digits: 2)
        output.append(UInt8(ascii: "-"))
        put(day, digits: 2)
        output.append(UInt8(ascii: "T"))
        put(second / 3600, digits: 2)
        output.append(UInt8(ascii: ":"))
        put(second / 60 % 60, digits: 2)
        output.append(UInt8(ascii: ":"))
        put(second % 60, digits: 2)
        output.append(UInt8(ascii: "."))
        put(Int(microsecondOfDay % 1_000_000), digits: 6)
        output.append(UInt8(ascii: "Z"))
        return true
    }
}
