import Foundation
import Glibc

/// A child process for tests: started with arguments, its stdout and stderr captured to a file, and always killed
/// when the owner goes away, so a failing test never leaves servers behind.
public final class ManagedProcess: @unchecked Sendable {
    private let logPath: String
    private let process = Process()

    public init(executable: String, arguments: [String], logPath: String) throws {
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public var isRunning: Bool { process.isRunning }

    /// Sends `number` while the process runs; once it has exited and been reaped its pid may belong to another.
    public func signal(_ number: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit; nil if it is still running after `timeout`.
    public func waitForExit(timeout: Duration = .seconds(20)) -> Int32? {
        guard waitUntil(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// What the process has written to stdout and stderr so far.
    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }
}
