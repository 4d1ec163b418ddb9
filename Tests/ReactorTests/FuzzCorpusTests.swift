import TestSupport
import Testing

@testable import Reactor

/// Replays the committed inputs of the `http` and `chunked` fuzz targets (seeds, merged corpus, reproducers) through
/// the harnesses' oracle, more thoroughly than a fuzzing run can afford: fed whole, split in two at every position
/// and byte by byte, every run must produce the same events, under the default limits and the harness's tight ones.
@Suite struct FuzzCorpusTests {
    /// The same values as `tightHTTPLimits` and `tightChunkedLimits` in Tests/Fuzz/Harnesses.
    static let tightHTTPLimits = HTTPParserLimits(
        maxRequestLineBytes: 48, maxHeaderBytes: 160, maxHeaderCount: 4, maxBodyBytes: 96)
    static let tightChunkedLimits = HTTPParserLimits(
        maxRequestLineBytes: 48, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodyBytes: 40)

    /// The `chunked` harness drives `ChunkedBodyDecoder` alone; here its inputs follow a chunked head, so the
    /// decoder runs inside the parser and the bytes after the body's end are parsed as the next request.
    static let chunkedHead = Array(http: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")

    static func expectEveryFeedingAgrees(_ bytes: [UInt8], limits: HTTPParserLimits) {
        let whole = HTTPFeeder.events(bytes, mode: .whole, limits: limits)
        HTTPFeeder.expectAllModes(bytes, produce: whole, limits: limits)
    }

    @Test(arguments: FuzzInputs.all("http"))
    func httpInputParsesTheSameHoweverItArrives(_ input: FuzzInput) {
        for limits in [HTTPParserLimits(), Self.tightHTTPLimits] {
            Self.expectEveryFeedingAgrees(input.bytes, limits: limits)
        }
    }

    @Test(arguments: FuzzInputs.all("chunked"))
    func chunkedInputDecodesTheSameHoweverItArrives(_ input: FuzzInput) {
        for limits in [HTTPParserLimits(), Self.tightChunkedLimits] {
            Self.expectEveryFeedingAgrees(Self.chunkedHead + input.bytes, limits: limits)
        }
    }

    /// An empty directory would make the tests above pass vacuously.
    @Test func corporaAreThere() {
        #expect(FuzzInputs.all("http").count > 20)
        #expect(FuzzInputs.all("chunked").count > 20)
    }
}
