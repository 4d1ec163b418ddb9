/// Request bytes as a test wants them on the wire: a Host header always, `Content-Length` whenever there is a body,
/// and an `X-Request-Id` so responses can be matched to requests.
public enum RequestText {
    public static func make(
        _ method: String = "GET", _ target: String = "/", version: String = "HTTP/1.1", id: Int? = nil,
        headers: [String] = [], body: String? = nil
    ) -> String {
        var text = "\(method) \(target) \(version)\r\nHost: test\r\n"
        if let id { text += "X-Request-Id: \(id)\r\n" }
        for field in headers { text += "\(field)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n"
        if let body { text += body }
        return text
    }

    public static func get(_ target: String = "/", id: Int? = nil, headers: [String] = []) -> String {
        make("GET", target, id: id, headers: headers)
    }
}
