import TestSupport
import Testing

@testable import Reactor

/// Property: however the bytes are cut, the parser produces the same events. Checked on deterministic mutations of
/// valid requests, which land on every state of the head scanner and the chunked decoder, including error paths.
@Suite struct HTTPFeedingConsistencyTests {
    static let seeds: [String] = [
        "GET /telemetry?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
        "POST /t HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\n\r\n",
        "POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"b\"\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        "\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
    ]

    /// Bytes that matter to the grammar, so mutations hit delimiters rather than only letters.
    static let interestingBytes: [UInt8] = Array("\r\n \t:;=\"\\,0Fa/?*".utf8) + [0x00, 0x01, 0x0B, 0x7F, 0x80, 0xFF]

    static func mutant(of seed: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0...random.next(below: 3) {
            let position = random.next(below: bytes.count)
            let byte = interestingBytes[random.next(below: interestingBytes.count)]
            switch random.next(below: 3) {
            case 0: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            default: bytes.remove(at: position)
            }
        }
        return bytes
    }

    /// Every mutant yields identical events whole, split at every position, and byte by byte.
    @Test(arguments: 0..<seeds.count)
    func mutatedRequestsParseTheSameHoweverTheyArrive(_ seedIndex: Int) {
        let seed = [UInt8](http: Self.seeds[seedIndex])
        var random = SeededGenerator(seed: UInt64(seedIndex) &* 0x1234_5678_9ABC_DEF1)
        for mutation in 0..<150 {
            let bytes = Self.mutant(of: seed, using: &random)
            let reference = HTTPFeeder.events(bytes, mode: .whole)
            let modes = HTTPFeeder.modes(for: bytes.count)
            let disagreeing = modes.first { HTTPFeeder.events(bytes, mode: $0) != reference }
            #expect(
                disagreeing == nil,
                "seed \(seedIndex) mutation \(mutation) \(bytes): \(String(describing: disagreeing)) differs")
            if disagreeing != nil { return }
        }
    }
}

extension SeededGenerator {
    /// A value in `0..<bound` by plain modulo, so the mutations are the same on every run and a failure names a
    /// reproducible seed.
    fileprivate mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
