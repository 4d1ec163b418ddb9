import Testing

@testable import Gateway

/// gzip and zlib bodies inflate exactly, and every broken or oversized stream is refused with its reason.
@Suite struct BodyInflaterTests {
    private let text = String(repeating: #"{"device_id":"sensor-1","value":21.5,"unit":"celsius"}"#, count: 50)

    private func inflate(
        _ input: [UInt8], _ coding: BodyFormat.ContentCoding, limit: Int = 1 << 20
    )
        -> Result<[UInt8], BodyInflater.Failure>
    {
        let inflater = BodyInflater(maxDecodedBytes: limit)
        return input.withUnsafeBytes { inflater.withInflated($0, coding: coding) { Array($0) } }
    }

    /// Both framings give back the original bytes, and one inflater serves both in turn.
    @Test func roundTripsGzipAndZlib() throws {
        let inflater = BodyInflater(maxDecodedBytes: 1 << 20)
        for (input, coding) in [
            (Deflater.gzip(text), BodyFormat.ContentCoding.gzip), (Deflater.zlib(text), .deflate),
            (Deflater.gzip("{}"), .gzip), (Deflater.gzip(text), .gzip),
        ] {
            let result = input.withUnsafeBytes { inflater.withInflated($0, coding: coding) { Array($0) } }
            #expect(try result.get() == Array((input.count < 30 ? "{}" : text).utf8))
        }
    }

    /// Several gzip members back to back are one body (RFC 1952 §2.2).
    @Test func concatenatedGzipMembers() throws {
        #expect(try inflate(Deflater.gzip("ab") + Deflater.gzip("cd"), .gzip).get() == Array("abcd".utf8))
    }

    /// Output larger than the first buffer grows it and keeps what was already inflated.
    @Test func growsPastTheFirstBuffer() throws {
        let big = String(repeating: "0123456789abcdef", count: 200_000)  // 3.2 MB, compresses ~1000×
        #expect(try inflate(Deflater.gzip(big), .gzip, limit: 4 << 20).get() == Array(big.utf8))
    }

    /// Exactly at the limit is accepted; one byte over is refused, without inflating the rest.
    @Test func limitIsInclusive() throws {
        let exact = String(repeating: "a", count: 1000)
        #expect(try inflate(Deflater.gzip(exact), .gzip, limit: 1000).get().count == 1000)
        #expect(inflate(Deflater.gzip(exact + "a"), .gzip, limit: 1000) == .failure(.tooLarge))
    }

    /// 100 MB of zeros (about 100 KB compressed) stops at the limit.
    @Test func bombStopsAtTheLimit() throws {
        let zeros = [UInt8](repeating: 0, count: 100 << 20)
        let bomb = Deflater.compress(zeros, .gzip, level: 9)
        #expect(bomb.count < 200_000)
        #expect(inflate(bomb, .gzip, limit: 4 << 20) == .failure(.tooLarge))
    }

    /// Truncation anywhere, a wrong checksum, a wrong header and trailing bytes are all 400s with a reason.
    @Test func brokenStreams() throws {
        let gzip = Deflater.gzip(text)
        for cut in [1, 5, 10, gzip.count / 2, gzip.count - 8, gzip.count - 1] {
            #expect(
                inflate(Array(gzip[0..<cut]), .gzip) == .failure(.corrupt("body: truncated gzip stream")),
                "cut at \(cut)")
        }
        var badCRC = gzip
        badCRC[gzip.count - 8] ^= 0xFF
        #expect(inflate(badCRC, .gzip) == .failure(.corrupt("body: invalid gzip stream (incorrect data check)")))
        var badLength = gzip
        badLength[gzip.count - 1] ^= 0x01
        #expect(inflate(badLength, .gzip) == .failure(.corrupt("body: invalid gzip stream (incorrect length check)")))
        #expect(
            inflate(Array(text.utf8), .gzip) == .failure(.corrupt("body: invalid gzip stream (incorrect header check)"))
        )
        #expect(
            inflate(gzip + [0x00], .gzip) == .failure(.corrupt("body: 1 bytes of trailing data after the gzip stream")))
        #expect(inflate(gzip, .deflate) == .failure(.corrupt("body: invalid zlib stream (incorrect header check)")))

        let zlib = Deflater.zlib(text)
        var badAdler = zlib
        badAdler[zlib.count - 1] ^= 0xFF
        #expect(inflate(badAdler, .deflate) == .failure(.corrupt("body: invalid zlib stream (incorrect data check)")))
        #expect(
            inflate(zlib + zlib, .deflate)
                == .failure(.corrupt("body: \(zlib.count) bytes of trailing data after the zlib stream")))
        #expect(inflate(Array(zlib.dropLast(4)), .deflate) == .failure(.corrupt("body: truncated zlib stream")))
        #expect(inflate([], .gzip) == .failure(.corrupt("body: empty gzip stream")))
    }

    /// A refused body leaves the inflater ready for the next one.
    @Test func recoversAfterAFailure() throws {
        let inflater = BodyInflater(maxDecodedBytes: 100)
        for input in [Deflater.gzip(String(repeating: "x", count: 500)), Array(Deflater.gzip(text).prefix(20))] {
            _ = input.withUnsafeBytes { inflater.withInflated($0, coding: .gzip) { _ in () } }
        }
        let result = Deflater.gzip("ok").withUnsafeBytes { inflater.withInflated($0, coding: .gzip) { Array($0) } }
        #expect(try result.get() == Array("ok".utf8))
    }
}
