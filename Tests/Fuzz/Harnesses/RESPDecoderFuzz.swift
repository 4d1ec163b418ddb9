// libFuzzer harness for `RESPDecoder`: the input fed whole, one byte at a time and in random pieces must give the
// same replies, the same error and the same count of buffered bytes, under the default limits and tight ones.
// Built by scripts/fuzz.

struct RESPOutcome: Equatable, CustomStringConvertible {
    var replies: [RESPValue] = []
    var error: RESPProtocolError?
    var bufferedByteCount = 0

    /// Falls back to the printed form only when `==` says no, so that `.double(.nan)` matches itself (as
    /// `DecodeOutcome` in the tests) without printing every reply of every feeding.
    static func == (lhs: RESPOutcome, rhs: RESPOutcome) -> Bool {
        lhs.error == rhs.error && lhs.bufferedByteCount == rhs.bufferedByteCount
            && (lhs.replies == rhs.replies || lhs.description == rhs.description)
    }

    var description: String {
        "replies: \(replies), error: \(error.map(\.reason) ?? "none"), buffered: \(bufferedByteCount)"
    }
}

/// The tight limits of `RESPDecoderFuzzTests`: every limit is reachable in a few dozen bytes.
let tightRESPLimits = RESPDecoderLimits(maxDepth: 4, maxElements: 8, maxBulkBytes: 16, maxLineBytes: 12)

/// Feeds each piece (alternating the array and raw-pointer entry points, the latter on an exactly sized copy) and
/// drains every reply after each one.
func respOutcome(_ bytes: [UInt8], _ feeding: Feeding, limits: RESPDecoderLimits) -> RESPOutcome {
    var decoder = RESPDecoder(limits: limits)
    var outcome = RESPOutcome()
    for (index, piece) in feeding.slices(of: bytes).enumerated() {
        if index.isMultiple(of: 2) {
            withExactCopy(piece) { decoder.feed($0) }
        } else {
            decoder.feed(Array(piece))
        }
        do {
            while let reply = try decoder.next() {
                outcome.replies.append(reply)
            }
        } catch {
            outcome.error = error
            // Sticky: the same error again, even after more bytes.
            decoder.feed([0x2B, 0x4F, 0x4B, 0x0D, 0x0A])
            do {
                _ = try decoder.next()
                oracleFailure("error \(error) is not sticky (\(feeding))")
            } catch let again {
                if again != error { oracleFailure("error \(error) became \(again) (\(feeding))") }
            }
            break
        }
    }
    outcome.bufferedByteCount = decoder.bufferedByteCount
    return outcome
}

func checkRESPDecoder(_ data: UnsafeRawBufferPointer) {
    var generator = FuzzGenerator(hashing: data)
    let bytes = Array(data)
    for limits in [RESPDecoderLimits(), tightRESPLimits] {
        let expected = respOutcome(bytes, .whole, limits: limits)
        let feedings: [Feeding] = [.byteByByte, .randomPieces(count: bytes.count, maxCuts: 6, using: &generator)]
        for feeding in feedings {
            let actual = respOutcome(bytes, feeding, limits: limits)
            if actual != expected {
                oracleFailure("\(feeding) gave \(actual), whole gave \(expected)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    checkRESPDecoder(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
