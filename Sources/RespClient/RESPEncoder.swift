/// Writes commands the way Redis reads them: an array of bulk strings, `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` for
/// each argument (hiredis `redisFormatCommandArgv`).
///
/// The exact size is computed first, so the output grows at most once per command and never while writing.
public enum RESPEncoder {
    /// Exact byte length of `*N\r\n` + each `$len\r\n<bytes>\r\n` (hiredis bulklen/countDigits).
    public static func encodedLength(of arguments: [RESPArgument]) -> Int {
        var total = headerLength(arguments.count)
        for argument in arguments {
            let count = argument.byteCount
            total += headerLength(count) + count + 2
        }
        return total
    }

    /// Appends the command as an array of bulk strings to `buffer`: reserves the exact size once, then writes;
    /// debug-asserts that the written length equals encodedLength.
    public static func appendCommand(_ arguments: [RESPArgument], to buffer: inout [UInt8]) {
        let start = buffer.count
        let length = encodedLength(of: arguments)
        let required = start + length
        if buffer.capacity < required {
            // `reserveCapacity` grants exactly what is asked; doubling keeps many commands appended to one outbox
            // buffer at amortised O(1) instead of a reallocation per command.
            buffer.reserveCapacity(Swift.max(required, 2 * buffer.capacity))
        }
        appendHeader(UInt8(ascii: "*"), count: arguments.count, to: &buffer)
        for argument in arguments {
            appendHeader(UInt8(ascii: "$"), count: argument.byteCount, to: &buffer)
            switch argument {
            case .bytes(let bytes):
                buffer.append(contentsOf: bytes)
            case .slice(let slice):
                buffer.append(contentsOf: slice)
            case .string(let string):
                buffer.append(contentsOf: string.utf8)
            case .staticString(let string):
                string.withUTF8Buffer { buffer.append(contentsOf: $0) }
            case .integer(let integer):
                RESPDecimal.append(integer, to: &buffer)
            }
            appendCRLF(to: &buffer)
        }
        assert(buffer.count - start == length, "encodedLength disagrees with the bytes written")
    }

    /// `<type><count>\r\n`
    private static func headerLength(_ count: Int) -> Int {
        1 + RESPDecimal.digitCount(count.magnitude) + 2
    }

    private static func appendHeader(_ type: UInt8, count: Int, to buffer: inout [UInt8]) {
        buffer.append(type)
        RESPDecimal.append(count, to: &buffer)
        appendCRLF(to: &buffer)
    }

    private static func appendCRLF(to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\r"))
        buffer.append(UInt8(ascii: "\n"))
    }
}
