/// A complete RFC 8259 syntax check of a body, with an explicit stack instead of recursion.
///
/// The decoder only runs it after refusing a body for its content, to find out whether the body was even JSON and,
/// for an array, how many elements it really has; valid bodies never pay for a second pass.
enum JSONValidator {
    /// Throws the first syntax error (or `.tooDeep` when containers nest past `maxDepth`). Returns the number of
    /// elements when the top-level value is an array, nil for any other value.
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(ParseFailure) -> Int? {
        var cursor = JSONCursor(bytes: bytes)
        // One entry per open container: true for an object, false for an array.
        var openContainers: [Bool] = []
        var topLevelIsArray = false
        var topLevelElements = 0
        cursor.skipWhitespace()
        readingValues: while true {
            if openContainers.count == 1 && topLevelIsArray {
                topLevelElements += 1
            }
            switch cursor.current {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard openContainers.count < maxDepth else { throw .tooDeep }
                let isObject = cursor.current == UInt8(ascii: "{")
                topLevelIsArray = topLevelIsArray || (openContainers.isEmpty && !isObject)
                openContainers.append(isObject)
                cursor.offset += 1
                cursor.skipWhitespace()
                let closer = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if cursor.current == closer {
                    cursor.offset += 1
                    openContainers.removeLast()
                } else {
                    if isObject {
                        try readKey(&cursor)
                    }
                    continue readingValues
                }
            case UInt8(ascii: "\""):
                _ = try cursor.scanString()
            case UInt8(ascii: "t"):
                try cursor.consumeLiteral("true")
            case UInt8(ascii: "f"):
                try cursor.consumeLiteral("false")
            case UInt8(ascii: "n"):
                try cursor.consumeLiteral("null")
            case let byte? where JSONCursor.startsNumber(byte):
                _ = try cursor.scanNumber()
            default:
                throw cursor.unexpected()
            }

            // A value just ended: close containers until one continues with a comma.
            while let isObject = openContainers.last {
                cursor.skipWhitespace()
                if cursor.current == UInt8(ascii: ",") {
                    cursor.offset += 1
                    cursor.skipWhitespace()
                    if isObject {
                        try readKey(&cursor)
                    }
                    continue readingValues
                }
                try cursor.consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                openContainers.removeLast()
            }
            break
        }
        cursor.skipWhitespace()
        guard cursor.isAtEnd else { throw cursor.unexpected() }
        return topLevelIsArray ? topLevelElements : nil
    }

    /// A member's key and colon, leaving the cursor on its value.
    private static func readKey(_ cursor: inout JSONCursor) throws(ParseFailure) {
        guard cursor.current == UInt8(ascii: "\"") else { throw cursor.unexpected() }
        _ = try cursor.scanString()
        cursor.skipWhitespace()
        try cursor.consume(UInt8(ascii: ":"))
        cursor.skipWhitespace()
    }
}
