import Reactor

/// One file of the operator console, with its 200 and 304 responses built once from the embedded bytes.
///
/// The ETag is a strong validator over the bytes (FNV-1a, 64 bits), so it changes exactly when the file does, and
/// `Cache-Control: no-cache` makes browsers revalidate every load: a new build is picked up at once, an unchanged
/// one costs a 304 with no body.
struct ConsoleAsset: Sendable {
    let paths: [StaticString]
    let ok: HTTPResponse
    let notModified: HTTPResponse
    let etag: String

    init(paths: [StaticString], contentType: String, bytes: [UInt8]) {
        self.paths = paths
        let etag = "\"" + Self.hexFNV1a64(bytes) + "\""
        self.etag = etag
        let headers = ConsoleHeaders.fields + [(name: "ETag", value: etag)]
        ok = HTTPResponse(status: 200, contentType: contentType, headers: headers, body: bytes)
        notModified = HTTPResponse(status: 304, headers: headers)
    }

    func matches(_ head: HTTPRequestHead) -> Bool {
        paths.contains { head.pathEquals($0) }
    }

    /// 304 when `If-None-Match` names this ETag (or is `*`), else the file. Weak comparison, as RFC 9110 §13.1.2
    /// asks for `If-None-Match`: `W/"x"` matches `"x"`.
    func response(to head: HTTPRequestHead) -> HTTPResponse {
        guard let candidates = head.headers["if-none-match"] else { return ok }
        for candidate in candidates.split(separator: ",") {
            var tag = candidate
            while let first = tag.first, first == " " || first == "\t" { tag.removeFirst() }
            while let last = tag.last, last == " " || last == "\t" { tag.removeLast() }
            if tag == "*" { return notModified }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag == etag { return notModified }
        }
        return ok
    }

    static func hexFNV1a64(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
