/// Scratch memory for writing one event's `data` JSON with plain stores instead of `Array.append` (whose
/// uniqueness and capacity checks per byte were the largest cost of the Protobuf path in `perf`), then copying the
/// result into an exactly sized array. One per decoded body; it grows to the largest event's bound.
final class EventJSONScratch {
    private var storage: UnsafeMutableBufferPointer<UInt8>
    private var dayCache = RFC3339.DayCache()

    init(capacity: Int = 4096) {
        storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deallocate()
    }

    /// Runs `body` with a writer over at least `maxBytes` bytes, which the caller computes so that nothing it
    /// writes can exceed them, and returns what was written.
    func write(maxBytes: Int, _ body: (inout EventJSONWriter) -> Void) -> [UInt8] {
        if storage.count < maxBytes {
            storage.deallocate()
            storage = .allocate(capacity: max(maxBytes, 2 * storage.count))
        }
        var writer = EventJSONWriter(base: storage.baseAddress!, capacity: maxBytes, dayCache: dayCache)
        body(&writer)
        dayCache = writer.dayCache
        precondition(writer.count <= maxBytes, "event JSON bound was computed wrongly")
        return Array(UnsafeBufferPointer(start: storage.baseAddress!, count: writer.count))
    }
}

/// Appends into memory sized in advance by `EventJSONScratch.write(maxBytes:)`.
struct EventJSONWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0
    fileprivate var dayCache: RFC3339.DayCache

    /// The most bytes `appendString` writes per input byte (`\u001f` for a control character).
    static let maxEscapedBytesPerByte = 6
    /// The longest `appendNumber` output, e.g. `-2.2250738585072014e-308`.
    static let maxNumberBytes = 24
    /// `appendTimestamp`'s fixed length: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    static let timestampBytes = 27

    fileprivate init(base: UnsafeMutablePointer<UInt8>, capacity: Int, dayCache: RFC3339.DayCache) {
        self.base = base
        self.capacity = capacity
        self.dayCache = dayCache
    }

    mutating func append(_ byte: UInt8) {
        assert(count < capacity)
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        assert(count + bytes.count <= capacity)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A quoted JSON string of valid UTF-8, escaping only `"`, backslash, control characters and DEL, as
    /// `JSONWriter.appendString` does; runs that need no escape are copied in bulk.
    mutating func appendString(_ utf8: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        if Self.isPlain(utf8) {
            append(utf8)
        } else {
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else {
                    continue
                }
                append(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(byte)
                runStart = index + 1
            }
            append(UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        append(UInt8(ascii: "\""))
    }

    /// Whether no byte needs a look: eight bytes per step, the last few padded with a plain byte, so the short
    /// strings of telemetry (device IDs, units, metadata) take one or two steps and one bulk copy.
    private static func isPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = utf8.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= utf8.count {
            if attentionMask(UnsafeRawPointer(start + offset).loadUnaligned(as: UInt64.self)) != 0 { return false }
            offset += 8
        }
        guard offset < utf8.count else { return true }
        var tail: UInt64 = 0x6161_6161_6161_6161  // "aaaaaaaa"
        withUnsafeMutableBytes(of: &tail) {
            $0.baseAddress!.copyMemory(from: start + offset, byteCount: utf8.count - offset)
        }
        return attentionMask(tail) == 0
    }

    /// Non-zero when one of eight bytes (loaded little-endian) may need escaping: a quote, a backslash, a control
    /// character, DEL, or any non-ASCII byte (which then takes the byte loop, where it is copied as is). The
    /// "has zero byte" and "has byte less than" tricks, as in `JSONCursor.skipPlainASCII`.
    private static func attentionMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let deletes = word ^ (ones &* 0x7F)
        let zeroInQuotes = (quotes &- ones) & ~quotes
        let zeroInBackslashes = (backslashes &- ones) & ~backslashes
        let zeroInDeletes = (deletes &- ones) & ~deletes
        let belowSpace = (word &- ones &* 0x20) & ~word
        return (word | zeroInQuotes | zeroInBackslashes | zeroInDeletes | belowSpace) & highBits
    }

    private mutating func appendEscape(_ byte: UInt8) {
        append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(byte)
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            append("u00")
            append(hex.utf8Start[Int(byte >> 4)])
            append(hex.utf8Start[Int(byte & 0xF)])
        }
    }

    /// Swift's shortest round-trip spelling of a finite double (`21.5`, `1.0`, `1e-07`), which is valid JSON; a
    /// small string, so the formatting allocates nothing.
    mutating func appendNumber(_ value: Double) {
        var text = value.description
        text.withUTF8 { append($0) }
    }

    mutating func appendDecimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// `2026-11-30T06:37:24.123456Z` for a Unix time in microseconds within `RFC3339.microsecondRange`.
    mutating func appendTimestamp(epochMicroseconds: Int64) {
        assert(count + Self.timestampBytes <= capacity)
        RFC3339.write(epochMicroseconds: epochMicroseconds, to: base + count, cache: &dayCache)
        count += Self.timestampBytes
    }
}
