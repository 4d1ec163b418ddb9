import RespClient
import TestSupport
import Testing

/// Replays the committed inputs of the `resp` fuzz target (seeds, merged corpus, reproducers) through the harness's
/// oracle, split at every position instead of a few random ones: every feeding must give the same replies, error and
/// buffered byte count, under the default limits and the harness's tight ones.
@Suite struct RESPFuzzCorpusTests {
    /// The same values as `tightRESPLimits` in Tests/Fuzz/Harnesses/RESPDecoderFuzz.swift.
    static let tightLimits = RESPDecoderLimits(maxDepth: 4, maxElements: 8, maxBulkBytes: 16, maxLineBytes: 12)

    @Test(arguments: FuzzInputs.all("resp"))
    func respInputDecodesTheSameHoweverItArrives(_ input: FuzzInput) {
        for limits in [RESPDecoderLimits(), Self.tightLimits] {
            let feedings = Feeding.everyWay(input.bytes)
            let expected = feedings[0].decode(limits: limits)
            for feeding in feedings.dropFirst() {
                let outcome = feeding.decode(limits: limits)
                #expect(outcome.sameResult(as: expected), "\(feeding.label): \(outcome), whole: \(expected)")
                if !outcome.sameResult(as: expected) { break }
            }
        }
    }

    @Test func corpusIsThere() {
        #expect(FuzzInputs.all("resp").count > 20)
    }
}
