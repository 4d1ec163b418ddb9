/// Why a telemetry body was refused, worded for the client in a 400 response.
///
/// Messages are short ASCII sentences prefixed by where the problem is (`value`, `events[17].value`,
/// `events[2].metadata.location`, `body`, `events`). The only client bytes a message can carry are a field name, so
/// a caller embedding it in JSON must escape it.
public struct TelemetryValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// For example `events[17].value: expected a finite number`.
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// What is wrong with one member of an event, phrased to follow its path in a message.
enum FieldProblem {
    case required
    case duplicate
    case unknown
    case expectedString
    case expectedFiniteNumber
    case lengthOutOfRange(maxBytes: Int)
    case controlCharacter
    case expectedPriority
    case expectedTimestamp
    case expectedObject
    case expectedMetadataValue
    case expectedUInt32
    case empty
    case invalidUTF8
    case expectedPriorityNumber
    case timestampOutOfRange

    var text: String {
        switch self {
        case .required: "required"
        case .duplicate: "duplicate field"
        case .unknown: "unknown field"
        case .expectedString: "expected a string"
        case .expectedFiniteNumber: "expected a finite number"
        case .lengthOutOfRange(let maxBytes): "must be 1 to \(maxBytes) bytes"
        case .controlCharacter: "control characters are not allowed"
        case .expectedPriority: "expected HIGH, MEDIUM or LOW"
        case .expectedTimestamp: "expected an RFC 3339 date-time"
        case .expectedObject: "expected an object"
        case .expectedMetadataValue: "expected a string, number or boolean"
        case .expectedUInt32: "expected an integer from 0 to 4294967295"
        case .empty: "empty"
        case .invalidUTF8: "invalid UTF-8"
        case .expectedPriorityNumber: "expected 0 to 3 (UNSPECIFIED, LOW, MEDIUM, HIGH)"
        case .timestampOutOfRange: "outside years 0000 to 9999"
        }
    }
}

/// Where an event sits in the body, so messages can name `value` for a lone object and `events[17].value` inside an
/// array.
struct EventPath {
    /// Position in the top-level array; nil when the body is a single object.
    let index: Int?

    func member(_ name: String) -> String {
        guard let index else { return name }
        return "events[\(index)].\(name)"
    }
}

extension TelemetryValidationError {
    static func field(_ path: String, _ problem: FieldProblem) -> Self {
        Self(message: "\(path): \(problem.text)")
    }

    static func invalidJSON(_ issue: JSONSyntaxIssue, at offset: Int) -> Self {
        Self(message: "body: invalid JSON at byte \(offset): \(issue.text)")
    }

    static func tooDeep(maxDepth: Int) -> Self {
        Self(message: "body: nesting deeper than \(maxDepth)")
    }

    static let notObjectOrArray = Self(message: "body: expected a JSON object or array of objects")

    static let emptyBatch = Self(message: "events: empty batch")

    static func batchTooLarge(count: Int, maxBatch: Int) -> Self {
        Self(message: "events: \(count) events exceed the maximum batch of \(maxBatch)")
    }

    static func notAnObject(index: Int) -> Self {
        Self(message: "events[\(index)]: expected an object")
    }
}
