import Testing

@testable import Reactor

/// `ASCII`: the one case-insensitive comparison the HTTP parser, the body-format check and the telemetry decoder use.
@Suite struct ASCIITests {
    private static func equalsLowercase(_ bytes: [UInt8], _ literal: StaticString) -> Bool {
        bytes.withUnsafeBytes { ASCII.equalsLowercase($0, literal) }
    }

    private static func equalsCaseInsensitive(_ lhs: String, _ rhs: String) -> Bool {
        Array(lhs.utf8).withUnsafeBytes { left in
            Array(rhs.utf8).withUnsafeBytes { ASCII.equalsCaseInsensitive(left, $0) }
        }
    }

    /// Letters match in either case; the lengths must agree.
    @Test func lettersFoldEitherWay() {
        #expect(Self.equalsLowercase(Array("Content-Length".utf8), "content-length"))
        #expect(Self.equalsLowercase(Array("HIGH".utf8), "high"))
        #expect(Self.equalsLowercase(Array("hIgH".utf8), "high"))
        #expect(!Self.equalsLowercase(Array("highs".utf8), "high"))
        #expect(!Self.equalsLowercase(Array("hig".utf8), "high"))
        #expect(Self.equalsLowercase([], ""))
        #expect(Self.equalsCaseInsensitive("Keep-Alive", "kEEP-aLIVE"))
        #expect(!Self.equalsCaseInsensitive("keep", "keeps"))
    }

    /// Only A–Z fold. `| 0x20` on every byte would have made `^` equal `~`, `@` equal `` ` `` and a control byte
    /// equal `/`.
    @Test func onlyLettersFold() {
        #expect(!Self.equalsCaseInsensitive("^", "~"))
        #expect(!Self.equalsCaseInsensitive("@", "`"))
        #expect(!Self.equalsLowercase([UInt8(ascii: "a"), 0x0F, UInt8(ascii: "b")], "a/b"))
        #expect(!Self.equalsLowercase([0x5B], "{"))
        for byte in UInt8.min...UInt8.max {
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            #expect(ASCII.lowercased(byte) == (isUpper ? byte + 0x20 : byte))
        }
    }

    /// Every pair of bytes compares as the reference definition (fold A–Z, then compare) says.
    @Test func everyPairMatchesTheReference() {
        for left in UInt8.min...UInt8.max {
            for right in UInt8.min...UInt8.max {
                let expected = ASCII.lowercased(left) == ASCII.lowercased(right)
                let actual = [left].withUnsafeBytes { l in
                    [right].withUnsafeBytes { ASCII.equalsCaseInsensitive(l, $0) }
                }
                if actual != expected { Issue.record("\(left) vs \(right)") }
            }
        }
        let lowercase: StaticString = "abcdefghijklmnopqrstuvwxyz0123456789-/{}~^`@[]_"
        let literal = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for (position, wanted) in literal.enumerated() {
            for byte in UInt8.min...UInt8.max {
                var bytes = Array(literal)
                bytes[position] = byte
                let expected = ASCII.lowercased(byte) == wanted
                if Self.equalsLowercase(bytes, lowercase) != expected { Issue.record("\(byte) at \(position)") }
            }
        }
    }
}
