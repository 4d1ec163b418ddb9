/// A request method. The registered methods get their own cases so routing is a plain `switch`; any other valid
/// token is kept verbatim (methods are case-sensitive, so `get` is `.other("get")`, not `.get`).
public enum HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    case get, head, post, put, delete, options, patch, trace, connect
    case other(String)

    /// The method as it appears on the request line.
    public var name: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .patch: "PATCH"
        case .trace: "TRACE"
        case .connect: "CONNECT"
        case .other(let name): name
        }
    }

    public var description: String { name }
}

extension HTTPMethod {
    /// The registered methods without `.other`'s String payload, so the parsed request line stays a plain value that
    /// is copied without reference counting.
    enum Registered: UInt8, Sendable {
        case get, head, post, put, delete, options, patch, trace, connect

        /// Recognises a registered method straight from the request-line bytes, so the common case builds no String.
        init?(token bytes: UnsafeRawBufferPointer) {
            switch bytes.count {
            case 3:
                if ByteClass.equals(bytes, "GET") {
                    self = .get
                } else if ByteClass.equals(bytes, "PUT") {
                    self = .put
                } else {
                    return nil
                }
            case 4:
                if ByteClass.equals(bytes, "POST") {
                    self = .post
                } else if ByteClass.equals(bytes, "HEAD") {
                    self = .head
                } else {
                    return nil
                }
            case 5:
                if ByteClass.equals(bytes, "PATCH") {
                    self = .patch
                } else if ByteClass.equals(bytes, "TRACE") {
                    self = .trace
                } else {
                    return nil
                }
            case 6:
                guard ByteClass.equals(bytes, "DELETE") else { return nil }
                self = .delete
            case 7:
                if ByteClass.equals(bytes, "OPTIONS") {
                    self = .options
                } else if ByteClass.equals(bytes, "CONNECT") {
                    self = .connect
                } else {
                    return nil
                }
            default:
                return nil
            }
        }
    }

    init(_ registered: Registered) {
        switch registered {
        case .get: self = .get
        case .head: self = .head
        case .post: self = .post
        case .put: self = .put
        case .delete: self = .delete
        case .options: self = .options
        case .patch: self = .patch
        case .trace: self = .trace
        case .connect: self = .connect
        }
    }
}
