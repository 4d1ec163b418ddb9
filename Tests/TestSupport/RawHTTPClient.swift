/// A blocking HTTP/1.1 client on one loopback socket that writes exact bytes and parses what comes back itself, so a
/// test controls every byte sent (malformed requests, pipelining, half-close, reset) and sees precisely what the
/// server put on the wire and when it closed.
public final class RawHTTPClient: BlockingSocket {
    /// Reads one complete response. `bodyless` is for answers to HEAD, whose Content-Length describes a body that
    /// is not sent. A 1xx, 204 or 304 response has no body either, and is returned like any other.
    public func readResponse(bodyless: Bool = false) throws(Failure) -> ReceivedResponse {
        var response = try ReceivedResponse.parseHead(read(upTo: [0x0D, 0x0A, 0x0D, 0x0A]))
        if !bodyless && response.status >= 200 && response.status != 204 && response.status != 304 {
            guard let length = response.header("Content-Length").flatMap({ Int($0) }) else {
                throw .unexpected("response without Content-Length: \(response)")
            }
            response.body = try read(count: length)
        }
        return response
    }

    public func readResponses(_ count: Int, bodyless: Bool = false) throws(Failure) -> [ReceivedResponse] {
        var responses: [ReceivedResponse] = []
        for _ in 0..<count { responses.append(try readResponse(bodyless: bodyless)) }
        return responses
    }

    /// Sends one request as `RequestText` writes it and reads its response. A POST always states its length, even
    /// an empty one, as real clients do.
    public func request(
        _ method: String, _ target: String, headers: [String] = [], body: String? = nil
    )
        throws(Failure) -> ReceivedResponse
    {
        try send(RequestText.make(method, target, headers: headers, body: body ?? (method == "POST" ? "" : nil)))
        return try readResponse(bodyless: method == "HEAD")
    }

    public func postJSON(
        _ target: String, _ body: String, contentType: String = "application/json"
    )
        throws(Failure) -> ReceivedResponse
    {
        try request("POST", target, headers: ["Content-Type: \(contentType)"], body: body)
    }
}
