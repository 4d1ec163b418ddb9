import Reactor

/// The gateway's response shapes. Every body is JSON, errors included: `{"ok":false,"error":"..."}`.
enum Responses {
    static let jsonType = "application/json"

    static func json(
        _ status: Int, _ build: (inout JSONWriter) -> Void, headers: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        var writer = JSONWriter()
        writer.beginObject()
        build(&writer)
        writer.endObject()
        return HTTPResponse(status: status, contentType: jsonType, headers: headers, body: writer.bytes)
    }

    static func error(_ status: Int, _ message: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        json(
            status,
            { writer in
                writer.field("ok", false)
                writer.field("error", message)
            }, headers: headers)
    }

    /// 503 with `Retry-After`: not stored, try again.
    static func unavailable(_ message: String, retryAfterSeconds: Int = 1) -> HTTPResponse {
        error(503, message, headers: [(name: "Retry-After", value: String(retryAfterSeconds))])
    }

    static func stored(id: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(18 + id.utf8.count)
        body.append(contentsOf: #"{"ok":true,"id":"#.utf8)
        JSONWriter.appendString(id, to: &body)
        body.append(UInt8(ascii: "}"))
        return HTTPResponse(status: 200, contentType: jsonType, body: body)
    }

    /// The events are fdatasync'd in the spool and will reach Redis when it answers again.
    static func spooled(_ count: Int) -> HTTPResponse {
        HTTPResponse(
            status: 200, contentType: jsonType, body: Array(#"{"ok":true,"spooled":true,"accepted":\#(count)}"#.utf8))
    }

    static func accepted(_ count: Int) -> HTTPResponse {
        HTTPResponse(status: 200, contentType: jsonType, body: Array(#"{"ok":true,"accepted":\#(count)}"#.utf8))
    }
}
