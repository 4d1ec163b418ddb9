import Foundation

/// One committed fuzzing input: a file of `Tests/Fuzz/Corpus/<target>` (the seeds and what long runs merged in) or
/// of `Tests/Fuzz/Regressions/<target>` (reproducers of failures the fuzzer found). The unit tests replay every one
/// through the same oracle as the harness, split at every position rather than at a few random ones.
public struct FuzzInput: Sendable, CustomStringConvertible {
    public let name: String
    public let bytes: [UInt8]

    /// Names the test case in Swift Testing's output.
    public var description: String { name }
}

public enum FuzzInputs {
    /// `Tests/Fuzz`, found from this file's own path so the tests run from any directory.
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    /// Every corpus and regression input of `target` (`http`, `chunked`, `resp`, `telemetry`), sorted by name.
    public static func all(_ target: String) -> [FuzzInput] {
        ["Corpus", "Regressions"].flatMap { kind -> [FuzzInput] in
            let folder = directory.appendingPathComponent(kind).appendingPathComponent(target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.sorted().compactMap { name in
                guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                    return nil
                }
                return FuzzInput(name: "\(kind)/\(target)/\(name)", bytes: Array(data))
            }
        }
    }
}
