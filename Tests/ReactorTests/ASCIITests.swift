import Testing

@testable import Reactor

/// `ASCII`: the one case-insensitive comparison the HTTP parser, the body-format check and the telemetry decoder use.
@Suite struct ASCIITests {
    /// Letters match in either case; the lengths must agree.
    @Test func lettersFoldEitherWay() {
        #expect(ASCII.equalsLowercase(Array("Content-Length".utf8), "content-length"))
        #expect(ASCII.equalsLowercase(Array("HIGH".utf8), "high"))
        #expect(ASCII.equalsLowercase(Array("hIgH".utf8)[...], "high"))
        #expect(!ASCII.equalsLowercase(Array("highs".utf8), "high"))
        #expect(!ASCII.equalsLowercase(Array("hig".utf8), "high"))
        #expect(ASCII.equalsLowercase([UInt8](), ""))
        #expect(ASCII.equalsCaseInsensitive(Array("Keep-Alive".utf8), Array("kEEP-aLIVE".utf8)))
        #expect(!ASCII.equalsCaseInsensitive(Array("keep".utf8), Array("keeps".utf8)))
    }

    /// Only A–Z fold. `| 0x20` on every byte would have made `^` equal `~`, `@` equal `` ` `` and a control byte
    /// equal `/`.
    @Test func onlyLettersFold() {
        #expect(!ASCII.equalsCaseInsensitive(Array("^".utf8), Array("~".utf8)))
        #expect(!ASCII.equalsCaseInsensitive(Array("@".utf8), Array("`".utf8)))
        #expect(!ASCII.equalsLowercase([UInt8(ascii: "a"), 0x0F, UInt8(ascii: "b")], "a/b"))
        #expect(!ASCII.equalsLowercase([0x5B], "{"))
        for byte in UInt8.min...UInt8.max {
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            #expect(ASCII.lowercased(byte) == (isUpper ? byte + 0x20 : byte))
        }
    }
}
