import Glibc

/// A parsed HTTP response as a test sees it.
public struct TestHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking HTTP/1.1 client on one raw socket: full control over the bytes sent (malformed requests,
/// pipelining), and a strict reader for the server's responses.
public final class RawHTTPClient {
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    public init(port: Int, timeoutSeconds: Int = 10) throws {
        fd = try RawSocket.connect(port: port, timeout: timeoutSeconds)
    }

    deinit {
        if !closed { Glibc.close(fd) }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    public func send(_ text: String) throws {
        try RawSocket.sendAll(fd, Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        try RawSocket.sendAll(fd, bytes)
    }

    /// Sends a request with Host and Content-Length filled in and reads its response.
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "",
                        isHead: Bool = false) throws -> TestHTTPResponse {
        try send(Self.format(method, path, headers: headers, body: body))
        return try readResponse(isHead: isHead || method == "HEAD")
    }

    public func postJSON(_ path: String, _ body: String, headers: [String: String] = [:]) throws -> TestHTTPResponse {
        var all = headers
        all["Content-Type"] = all["Content-Type"] ?? "application/json"
        return try request("POST", path, headers: all, body: body)
    }

    public static func format(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "") -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
        return text + "\r\n" + body
    }

    /// Reads one response (interim 1xx responses are returned like any other).
    public func readResponse(isHead: Bool = false) throws -> TestHTTPResponse {
        let headEnd = try readUntilHeadEnd()
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeSubrange(0..<(headEnd + 4))
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestSetupError("bad status line in \(head)")
        }
        var headers: [(String, String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: " ")))
        }
        var response = TestHTTPResponse(status: status, headers: headers, body: [])
        guard status >= 200, !isHead else { return response }
        let length = Int(response.header("content-length") ?? "0") ?? 0
        while buffer.count < length {
            guard try fill() else { throw TestSetupError("connection closed inside a body") }
        }
        response.body = Array(buffer[0..<length])
        buffer.removeSubrange(0..<length)
        return response
    }

    /// True when the server closed the connection (EOF) before sending anything more.
    public func readEOF() -> Bool {
        (try? fill()) == false && buffer.isEmpty
    }

    private func readUntilHeadEnd() throws -> Int {
        while true {
            if let end = Self.find([13, 10, 13, 10], in: buffer) { return end }
            guard try fill() else { throw TestSetupError("connection closed before a response head (\(buffer.count) bytes)") }
        }
    }

    /// Reads more bytes; false on EOF. Throws on timeout or error.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 { return false }
        if errno == ECONNRESET { return false }
        throw TestSetupError("recv failed: errno \(errno)")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
