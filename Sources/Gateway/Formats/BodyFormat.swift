import Reactor

/// How a `POST /telemetry` body is written: its media type (`Content-Type`) and its content coding
/// (`Content-Encoding`). Read from the head on the reactor thread, so an unsupported body is refused with 415 before
/// it is transferred; the consumer thread that decodes the body gets it with the job.
struct BodyFormat: Equatable, Sendable {
    enum MediaType: Sendable {
        /// `application/json`: one event object or an array of them.
        case json
        /// `application/x-protobuf` or `application/protobuf`: one `telemetry.TelemetryBatch` (proto/telemetry.proto).
        case protobuf
    }

    /// RFC 9110 §8.4.1 content codings the gateway inflates; anything else is 415 with `Accept-Encoding`.
    enum ContentCoding: Sendable {
        case identity
        /// RFC 1952, one or more gzip members.
        case gzip
        /// RFC 9110's "deflate": the zlib format (RFC 1950), not raw deflate.
        case deflate
    }

    var media: MediaType
    var coding: ContentCoding

    static let json = BodyFormat(media: .json, coding: .identity)

    /// The value sent with every 415 for an unsupported coding (RFC 9110 §12.5.3).
    static let acceptEncoding = "gzip, deflate"

    enum Refusal: Error, Equatable {
        case mediaType
        case coding
    }

    /// The body format a head announces, or why the gateway cannot read it. Only one `Content-Encoding` value is
    /// accepted: stacked codings (`gzip, gzip`) are how decompression bombs multiply, and no agent sends them.
    static func of(_ head: HTTPRequestHead) -> Result<BodyFormat, Refusal> {
        let media = head.headers.withValueBytes(named: "content-type") { value -> MediaType? in
            guard let value else { return nil }
            let end = value.firstIndex(of: UInt8(ascii: ";")) ?? value.count
            let type = UnsafeRawBufferPointer(rebasing: value[0..<end])
            if matches(type, "application/json") { return .json }
            if matches(type, "application/x-protobuf") || matches(type, "application/protobuf") { return .protobuf }
            return nil
        }
        guard let media else { return .failure(.mediaType) }
        // Most bodies are not compressed: the common case allocates nothing.
        guard head.headers.contains("content-encoding") else {
            return .success(BodyFormat(media: media, coding: .identity))
        }
        let codings = head.headers.values(named: "content-encoding")
        guard codings.count <= 1 else { return .failure(.coding) }
        let coding: ContentCoding
        switch codings.first.map({ trimmed($0).lowercased() }) {
        case nil, "identity": coding = .identity
        case "gzip", "x-gzip": coding = .gzip
        case "deflate": coding = .deflate
        default: return .failure(.coding)
        }
        return .success(BodyFormat(media: media, coding: coding))
    }

    /// `token` compared ASCII case-insensitively after dropping surrounding spaces and tabs.
    private static func matches(_ value: UnsafeRawBufferPointer, _ token: StaticString) -> Bool {
        var start = 0
        var end = value.count
        while start < end && (value[start] == 0x20 || value[start] == 0x09) { start += 1 }
        while end > start && (value[end - 1] == 0x20 || value[end - 1] == 0x09) { end -= 1 }
        return ASCII.equalsLowercase(UnsafeRawBufferPointer(rebasing: value[start..<end]), token)
    }

    private static func trimmed(_ text: String) -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = text.lastIndex(where: { !isBlank($0) })!
        return text[first...last]
    }
}
