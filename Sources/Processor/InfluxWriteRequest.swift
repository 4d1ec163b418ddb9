/// The bytes of one InfluxDB write (or ping) request, v1 or v2.
enum InfluxWriteRequest {
    /// `POST /write?db=..&precision=ns` (v1) or `POST /api/v2/write?org=..&bucket=..&precision=ns` (v2), with
    /// `Authorization: Token ...` when a token is set. Nanosecond precision because the sub-millisecond digits carry
    /// the entry ID (see `PointEncoder`).
    static func write(api: InfluxAPI, host: String, body: ArraySlice<UInt8>) -> [UInt8] {
        let target: String
        let token: String?
        switch api {
        case .v1(let database, let v1Token):
            target = "/write?db=\(percentEncoded(database))&precision=ns"
            token = v1Token
        case .v2(let org, let bucket, let v2Token):
            target = "/api/v2/write?org=\(percentEncoded(org))&bucket=\(percentEncoded(bucket))&precision=ns"
            token = v2Token
        }
        var head = "POST \(target) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: text/plain; charset=utf-8\r\n"
        if let token { head += "Authorization: Token \(token)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        var request = Array(head.utf8)
        request.reserveCapacity(request.count + body.count)
        request.append(contentsOf: body)
        return request
    }

    /// `GET /ping`: 204 from InfluxDB 1.x and 2.x alike, used for `/ready` while no writes happen.
    static func ping(host: String) -> [UInt8] {
        Array("GET /ping HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8)
    }

    /// RFC 3986 unreserved characters pass; everything else is %XX.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
            }
        }
        return out
    }
}
