import Glibc
import Reactor
import Synchronization

public enum LogLevel: String, Sendable, Comparable {
    case debug, info, warn, error

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warn: 2
        case .error: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Leveled logfmt lines on stderr: `ts=... level=info msg="..." key=value`.
///
/// Each line is written with one `write(2)` call, so lines from different threads never interleave. Logging is for
/// events (start, stop, Redis state changes, errors), never per request: the hot path stays silent.
public final class Logger: Sendable {
    public let level: LogLevel
    private let fd: Int32

    public init(level: LogLevel, fd: Int32 = STDERR_FILENO) {
        self.level = level
        self.fd = fd
    }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message, fields) }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warn, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message, fields) }

    public func log(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String>) {
        log(level, message, fields: fields)
    }

    public func log(_ level: LogLevel, _ message: String, fields: some Sequence<(key: String, value: String)>) {
        guard level >= self.level else { return }
        var line: [UInt8] = []
        line.reserveCapacity(128)
        line.append(contentsOf: "ts=".utf8)
        line.append(contentsOf: RFC3339.format(epochMilliseconds: wallClockMilliseconds()))
        line.append(contentsOf: " level=\(level.rawValue) msg=".utf8)
        Self.appendValue(message, to: &line)
        for (key, value) in fields {
            line.append(0x20)
            line.append(contentsOf: key.utf8)
            line.append(0x3D)
            Self.appendValue(value, to: &line)
        }
        line.append(0x0A)
        line.withUnsafeBytes { bytes in
            _ = Glibc.write(fd, bytes.baseAddress, bytes.count)
        }
    }

    /// logfmt quoting: bare when the value is a plain token, else double-quoted with `"` and `\` escaped and
    /// control characters shown as escapes, so a hostile value can never forge a second log line.
    static func appendValue(_ value: String, to line: inout [UInt8]) {
        let needsQuotes =
            value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C || $0 >= 0x7F }
        guard needsQuotes else {
            line.append(contentsOf: value.utf8)
            return
        }
        line.append(0x22)
        for byte in value.utf8 {
            switch byte {
            case 0x22: line.append(contentsOf: [0x5C, 0x22])
            case 0x5C: line.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: line.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: line.append(contentsOf: [0x5C, 0x72])
            case 0x09: line.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20, 0x7F:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                line.append(contentsOf: [0x5C, 0x78, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: line.append(byte)
            }
        }
        line.append(0x22)
    }
}
