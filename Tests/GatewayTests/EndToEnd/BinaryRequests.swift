import Foundation
import RespClient
import TestSupport

extension RawHTTPClient {
    /// POSTs exact body bytes with the given media type and, when not nil, `Content-Encoding`.
    func post(
        _ target: String, contentType: String, encoding: String? = nil, headers: [String] = [], body: [UInt8]
    )
        throws(Failure) -> ReceivedResponse
    {
        var head = "POST \(target) HTTP/1.1\r\nHost: test\r\nContent-Type: \(contentType)\r\n"
        if let encoding { head += "Content-Encoding: \(encoding)\r\n" }
        for field in headers { head += "\(field)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        try send(Array(head.utf8) + body)
        return try readResponse()
    }
}

/// One stream entry as consumers see it, with `received_at` cut from `data` so entries stored at different
/// milliseconds can be compared.
struct StoredEvent: Equatable, CustomStringConvertible {
    var deviceID: String
    var priority: String
    var data: String

    var description: String { "\(deviceID) \(priority) \(data)" }
}

extension GatewayFixture {
    /// Every entry of the stream, oldest first.
    func storedEvents() throws -> [StoredEvent] {
        guard case .array(let entries) = try redis.client().command("XRANGE", stream, "-", "+") else { return [] }
        return entries.compactMap { entry in
            guard case .array(let parts) = entry, parts.count == 2, case .array(let fields) = parts[1] else {
                return nil
            }
            let values = fields.compactMap(\.string)
            guard values.count == 6, values[0] == "device_id", values[2] == "priority", values[4] == "data" else {
                return nil
            }
            var data = values[5]
            if let range = data.range(of: #","received_at":""#) { data = String(data[..<range.lowerBound]) + "}" }
            return StoredEvent(deviceID: values[1], priority: values[3], data: data)
        }
    }

    /// `process_resident_memory_bytes` from /metrics.
    func residentBytes() throws -> Int {
        let text = try client().request("GET", "/metrics").bodyText
        let line = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") } ?? ""
        return Int(line.split(separator: " ").last ?? "") ?? 0
    }

    func deleteStream() throws {
        _ = try redis.client().command("DEL", stream)
    }
}
