/// One response as it came off the wire, parsed by the test client independently of the server's encoder.
public struct ReceivedResponse: Sendable, CustomStringConvertible {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The value of a field that may appear at most once, its name compared case-insensitively; nil when it is absent
    /// or repeated. Every field the servers under test send is of that kind, so a repeated one is a defect, and
    /// answering nil for it makes any assertion on its value fail instead of passing on the first copy.
    public func header(_ name: String) -> String? {
        let values = headers(named: name)
        return values.count == 1 ? values[0] : nil
    }

    /// Every value of a header field, in the order sent, its name compared case-insensitively.
    public func headers(named name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public var closesConnection: Bool { header("Connection")?.lowercased() == "close" }

    public var description: String { "\(status) \(headers.map { "\($0.name): \($0.value)" }) \(body.count) body bytes" }

    /// Parses a head without its blank line: the status line, then field lines.
    static func parseHead(_ bytes: [UInt8]) throws(BlockingSocket.Failure) -> ReceivedResponse {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).makeIterator()
        guard let statusLine = lines.next() else { throw .unexpected("empty head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw .unexpected("status line \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { throw .unexpected("field line \(line)") }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((name: String(line[..<colon]), value: String(value)))
        }
        return ReceivedResponse(status: status, headers: headers, body: [])
    }
}
