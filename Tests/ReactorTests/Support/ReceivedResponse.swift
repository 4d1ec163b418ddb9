/// One response as it came off the wire, parsed by the test client independently of the server's encoder.
struct ReceivedResponse: CustomStringConvertible {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first value of a header field, its name compared case-insensitively.
    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    var closesConnection: Bool { header("Connection")?.lowercased() == "close" }

    var description: String { "\(status) \(headers.map { "\($0.name): \($0.value)" }) \(body.count) body bytes" }

    /// The head `bytes[0..<end]` (without its blank line): status line, then field lines.
    static func parseHead(_ bytes: ArraySlice<UInt8>) throws(RawHTTPClient.Failure) -> ReceivedResponse {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).makeIterator()
        guard let statusLine = lines.next() else { throw .malformed("empty head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw .malformed("status line \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("field line \(line)") }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((name: String(line[..<colon]), value: String(value)))
        }
        return ReceivedResponse(status: status, headers: headers, body: [])
    }
}
