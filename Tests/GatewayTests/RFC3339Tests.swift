import Gateway
import Glibc
import TestSupport
import Testing

@Suite struct RFC3339Tests {
    private static func isValid(_ text: String) -> Bool {
        withGuardedBytes(Array(text.utf8)) { RFC3339.isValid($0) }
    }

    static let knownEpochs: [(milliseconds: Int64, text: String)] = [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (1_709_208_000_123, "2024-02-29T12:00:00.123Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (1_796_020_644_123, "2026-11-30T06:37:24.123Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        // Out of the four-digit years, clamped.
        (.min, "0000-01-01T00:00:00.000Z"),
        (.max, "9999-12-31T23:59:59.999Z"),
    ]

    /// Formats known instants, including a leap day and both ends of the representable range.
    @Test(arguments: knownEpochs)
    func formatsKnownEpochs(milliseconds: Int64, text: String) {
        #expect(String(decoding: RFC3339.format(epochMilliseconds: milliseconds), as: UTF8.self) == text)
    }

    /// Agrees with the C library's gmtime_r over seeded random instants, and its output is itself valid.
    @Test func agreesWithGmtime() {
        var generator = SeededGenerator(seed: 0x3339)
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &generator)
            var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let fraction = (milliseconds % 1000 + 1000) % 1000
            func pad(_ value: Int, _ width: Int) -> String {
                let digits = String(value)
                return String(repeating: "0", count: width - digits.count) + digits
            }
            let expected =
                "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
                + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))."
                + "\(pad(Int(fraction), 3))Z"
            let formatted = RFC3339.format(epochMilliseconds: milliseconds)
            #expect(String(decoding: formatted, as: UTF8.self) == expected)
            #expect(formatted.withUnsafeBytes { RFC3339.isValid($0) })
        }
    }

    /// Accepts 0 to 9 fractional digits, Z or a numeric offset, real calendar days and a leap second.
    @Test(arguments: [
        "2026-11-30T04:00:00Z", "2026-11-30T04:00:00.000Z", "2026-11-30T04:00:00.1Z", "2026-11-30T04:00:00.123456789Z",
        "2026-11-30T04:00:00+05:30", "2026-11-30T04:00:00.5-08:00", "2026-11-30T04:00:00-00:00",
        "2026-11-30T04:00:00+23:59", "2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-12-31T23:59:60Z",
        "2026-06-30T23:59:60.999+00:00", "2026-11-30t04:00:00z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        "2026-01-31T00:00:00Z", "2026-04-30T00:00:00Z",
    ])
    func acceptsValidDateTimes(text: String) {
        #expect(Self.isValid(text))
    }

    /// Refuses anything that is not exactly an RFC 3339 date-time with valid field values.
    @Test(arguments: [
        "", "2026-11-30", "2026-11-30T04:00:00", "2026-11-30T04:00Z", "2026-11-30T04:00:00.Z",
        "2026-11-30T04:00:00.1234567890Z", "2026-11-30T04:00:00,5Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T23:60:00Z", "2026-11-30T23:59:61Z",
        "2026-11-30T04:00:00+24:00", "2026-11-30T04:00:00+05:60", "2026-11-30T04:00:00+0530", "2026-11-30T04:00:00+05",
        "2026-11-30T04:00:00+05:30:00", "2026-11-30 04:00:00Z", " 2026-11-30T04:00:00Z", "2026-11-30T04:00:00Z ",
        "2026-11-30T04:00:00ZZ", "2026-1-30T04:00:00Z", "20261130T040000Z", "2O26-11-30T04:00:00Z",
        "+2026-11-30T04:00:00Z", "2026-11-30T04:00:00.123+05:30x", "2026-11-30T04:00:00UTC", "2026/11/30T04:00:00Z",
        "2026-11-30T04:00:00.123456789+05:30Z",
    ])
    func refusesInvalidDateTimes(text: String) {
        #expect(!Self.isValid(text))
    }
}
