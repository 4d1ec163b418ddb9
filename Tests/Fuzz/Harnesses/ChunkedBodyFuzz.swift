// libFuzzer harness for `ChunkedBodyDecoder` on its own (the input is a chunked body, no head): the input fed whole,
// in random pieces and one byte at a time must give the same payload, the same end offset and the same error.
// Built by scripts/fuzz.

/// What one feeding produced. Payload pieces are merged; `endOffset` is where in the input the body ended.
struct ChunkedOutcome: Equatable {
    var payload: [UInt8] = []
    var endOffset: Int?
    var error: HTTPParseError?
}

/// Small enough that inputs of a few hundred bytes reach the body and trailer limits.
let tightChunkedLimits = HTTPParserLimits(
    maxRequestLineBytes: 48, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodyBytes: 40)

/// Feeds the decoder as `HTTPRequestParser` does: unconsumed bytes stay pending and are handed over again with the
/// next piece, each call on an exactly sized copy.
func chunkedOutcome(_ bytes: [UInt8], _ feeding: Feeding, limits: HTTPParserLimits) -> ChunkedOutcome {
    var decoder = ChunkedBodyDecoder(limits: limits)
    var outcome = ChunkedOutcome()
    var pending: [UInt8] = []
    var consumedTotal = 0
    for piece in feeding.slices(of: bytes) {
        pending.append(contentsOf: piece)
        var stepsLeft = 2 * pending.count + 8
        while true {
            stepsLeft -= 1
            if stepsLeft < 0 { oracleFailure("no progress (\(feeding))") }
            let step: ChunkedBodyDecoder.Step
            do {
                step = try withExactCopy(pending[...]) { input in
                    Result { () throws(HTTPParseError) in try decoder.decode(input) }
                }.get()
            } catch {
                outcome.error = error
                return outcome
            }
            let consumed: Int
            switch step {
            case .data(let range, let count):
                if range.isEmpty || range.lowerBound < 0 || range.upperBound > count {
                    oracleFailure("data range \(range) outside the consumed \(count) bytes (\(feeding))")
                }
                if count > pending.count { oracleFailure("consumed \(count) of \(pending.count) (\(feeding))") }
                outcome.payload += pending[range]
                consumed = count
            case .needMore(let count):
                consumed = count
            case .end(let count):
                consumed = count
            }
            if consumed < 0 || consumed > pending.count {
                oracleFailure("consumed \(consumed) of \(pending.count) bytes (\(feeding))")
            }
            pending.removeFirst(consumed)
            consumedTotal += consumed
            if case .end = step {
                outcome.endOffset = consumedTotal
                return outcome
            }
            if case .needMore = step { break }
        }
    }
    return outcome
}

func checkChunkedBody(_ data: UnsafeRawBufferPointer) {
    var generator = FuzzGenerator(hashing: data)
    let bytes = Array(data)
    let limits = Bool.random(using: &generator) ? HTTPParserLimits() : tightChunkedLimits
    let expected = chunkedOutcome(bytes, .whole, limits: limits)
    var feedings: [Feeding] = [.byteByByte]
    for _ in 0..<2 {
        feedings.append(.randomPieces(count: bytes.count, maxCuts: 6, using: &generator))
    }
    for feeding in feedings {
        let actual = chunkedOutcome(bytes, feeding, limits: limits)
        if actual != expected {
            oracleFailure("\(feeding) gave \(actual), whole gave \(expected)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkedBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    checkChunkedBody(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
