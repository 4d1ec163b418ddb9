import Glibc

/// A test fixture that could not be set up, or a scripted peer that saw something else than its script expects:
/// the message says what, so a broken fixture is told apart from a failing assertion.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The failed system call with errno and its text.
    public static func system(_ call: String) -> HarnessError {
        let code = errno
        return HarnessError("\(call): \(String(cString: strerror(code))) (errno \(code))")
    }
}
