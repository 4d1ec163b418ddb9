// Shared by every libFuzzer harness in this directory. scripts/fuzz compiles one harness file, this file and the
// product sources it exercises into a single module, so harnesses see internal types without `@testable`.
#if canImport(Glibc)
    import Glibc
#endif

/// Stops the run the way libFuzzer understands: the input is saved as `crash-*` and the message explains it.
func oracleFailure(_ message: @autoclosure () -> String) -> Never {
    fputs("ORACLE FAILURE: \(message())\n", stderr)
    abort()
}

/// SplitMix64 seeded from the input itself, so the same input always gets the same feeding and a crash file alone
/// reproduces the failure.
struct FuzzGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(hashing bytes: UnsafeRawBufferPointer) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        state = hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_E4D9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How the bytes of one input reach a decoder.
enum Feeding: CustomStringConvertible {
    case whole
    /// Cut before each of these offsets (ascending, each inside the input).
    case pieces([Int])
    case byteByByte

    var description: String {
        switch self {
        case .whole: "whole"
        case .pieces(let cuts): "split at \(cuts)"
        case .byteByByte: "byte by byte"
        }
    }

    /// Up to `maxCuts` distinct random cut points.
    static func randomPieces(count: Int, maxCuts: Int, using generator: inout FuzzGenerator) -> Feeding {
        guard count > 1 else { return .whole }
        let cuts = Set(
            (0..<Int.random(in: 1...maxCuts, using: &generator)).map { _ in
                Int.random(in: 1..<count, using: &generator)
            })
        return .pieces(cuts.sorted())
    }

    func slices(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole:
            return [bytes[...]]
        case .pieces(let cuts):
            var start = 0
            var slices: [ArraySlice<UInt8>] = []
            for cut in cuts + [bytes.count] {
                slices.append(bytes[start..<cut])
                start = cut
            }
            return slices
        case .byteByByte:
            return bytes.indices.map { bytes[$0...$0] }
        }
    }
}

/// Calls `body` with a copy of `bytes` in a heap block of exactly that size, so AddressSanitizer reports any read
/// past the end of what a decoder was given (an `Array` may have spare capacity there).
func withExactCopy<R>(_ bytes: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { copy.deallocate() }
    bytes.withUnsafeBytes { source in
        if let base = source.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: source.count) }
    }
    return body(UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]))
}
