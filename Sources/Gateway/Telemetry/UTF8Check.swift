/// Well-formed UTF-8 (RFC 3629, Unicode §3.9 table 3-7: no overlongs, no surrogates, nothing past U+10FFFF),
/// checked without building a String. Protobuf `string` fields must be UTF-8; JSON strings are checked while
/// scanning them (`JSONCursor.scanString`).
enum UTF8Check {
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        // ASCII eight bytes at a time (the tail read into a zeroed word): telemetry strings nearly always are.
        if let base = bytes.baseAddress {
            while index + 8 <= count,
                UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
            }
            if index < count && index + 8 > count {
                var tail: UInt64 = 0
                withUnsafeMutableBytes(of: &tail) {
                    $0.baseAddress!.copyMemory(from: base + index, byteCount: count - index)
                }
                if tail & 0x8080_8080_8080_8080 == 0 { return true }
            }
        }
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, secondRange) = (3, 0xA0...0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: (length, secondRange) = (3, 0x80...0x9F)
            case 0xF0: (length, secondRange) = (4, 0x90...0xBF)
            case 0xF1...0xF3: length = 4
            case 0xF4: (length, secondRange) = (4, 0x80...0x8F)
            default: return false
            }
            guard index + length <= count, secondRange.contains(bytes[index + 1]) else { return false }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
                return false
            }
            index += length
        }
        return true
    }
}
