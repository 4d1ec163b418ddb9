import TestSupport
import Testing

@testable import Gateway

/// `UTF8Check` agrees with the standard library's validation, at every offset of its eight-byte ASCII fast path.
@Suite struct UTF8CheckTests {
    private func check(_ bytes: [UInt8]) -> Bool {
        withGuardedBytes(bytes) { UTF8Check.isValid($0.assumingMemoryBound(to: UInt8.self)) }
    }

    @Test func agreesWithTheStandardLibrary() {
        let pieces: [[UInt8]] = [
            Array("é".utf8), Array("°".utf8), Array("€".utf8), Array("𝄞".utf8), [0xC3, 0x28], [0xE0, 0x80, 0x80],
            [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F], [0xFF], [0x80], [0xC0, 0xAF], [0x7F], [0x00],
        ]
        for piece in pieces {
            for prefix in 0..<20 {
                for suffix in [0, 1, 9] {
                    let bytes =
                        [UInt8](repeating: 0x61, count: prefix) + piece + [UInt8](repeating: 0x62, count: suffix)
                    #expect(check(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
                }
            }
        }
        var generator = SeededGenerator(seed: 8)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...24, using: &generator)).map { _ in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0x20...0x7E, using: &generator)
                    : UInt8.random(in: 0...255, using: &generator)
            }
            #expect(check(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}
