import Glibc

/// Serializes responses straight into a connection's output buffer: status line, headers and body are appended to
/// one `[UInt8]`, so a response leaves in a single write and no intermediate `String` is built.
enum ResponseEncoder {
    struct Framing: Equatable {
        var keepAlive: Bool
        var http10: Bool
        var isHead: Bool
    }

    static func append(_ response: HTTPResponse, framing: Framing, date: inout DateCache, to out: inout [UInt8]) {
        out.append(staticString: "HTTP/1.1 ")
        appendDecimal(response.status, to: &out)
        out.append(0x20)
        out.append(staticString: reasonPhrase(response.status))
        out.append(staticString: "\r\nDate: ")
        date.append(to: &out)
        if let contentType = response.contentType {
            out.append(staticString: "\r\nContent-Type: ")
            out.append(contentsOf: contentType.utf8)
        }
        // 204 and 304 never have a body; a Content-Length of 0 on a 304 would misstate the selected representation's
        // length (RFC 9110 §8.6), so neither carries one.
        let bodyless = response.status == 204 || response.status == 304
        if !bodyless {
            out.append(staticString: "\r\nContent-Length: ")
            appendDecimal(response.body.count, to: &out)
        }
        for field in response.headers {
            out.append(staticString: "\r\n")
            out.append(contentsOf: field.name.utf8)
            out.append(staticString: ": ")
            out.append(contentsOf: field.value.utf8)
        }
        if !framing.keepAlive {
            out.append(staticString: "\r\nConnection: close")
        } else if framing.http10 {
            out.append(staticString: "\r\nConnection: keep-alive")
        }
        out.append(staticString: "\r\n\r\n")
        if !framing.isHead && !bodyless {
            out.append(contentsOf: response.body)
        }
    }

    static let continueResponse: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0)
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) &+ 0x30)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var remaining = value
            var index = 20
            while remaining > 0 {
                index -= 1
                buffer[index] = UInt8(truncatingIfNeeded: remaining % 10) &+ 0x30
                remaining /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<20]))
        }
    }

    static func reasonPhrase(_ status: Int) -> StaticString {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: status < 400 ? "Status" : (status < 500 ? "Client Error" : "Server Error")
        }
    }
}

/// The `Date` header value (RFC 9110 IMF-fixdate), formatted once per second rather than per response.
struct DateCache {
    private var second: time_t = -1
    private var text: [UInt8] = []

    mutating func append(to out: inout [UInt8]) {
        let current = time(nil)
        if current != second {
            second = current
            text = Self.format(current)
        }
        out.append(contentsOf: text)
    }

    static func format(_ seconds: time_t) -> [UInt8] {
        var value = seconds
        var parts = tm()
        gmtime_r(&value, &parts)
        let days: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months: [StaticString] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(staticString: days[Int(parts.tm_wday)])
        out.append(staticString: ", ")
        appendTwoDigits(Int(parts.tm_mday), to: &out)
        out.append(0x20)
        out.append(staticString: months[Int(parts.tm_mon)])
        out.append(0x20)
        ResponseEncoder.appendDecimal(Int(parts.tm_year) + 1900, to: &out)
        out.append(0x20)
        appendTwoDigits(Int(parts.tm_hour), to: &out)
        out.append(0x3A)
        appendTwoDigits(Int(parts.tm_min), to: &out)
        out.append(0x3A)
        appendTwoDigits(Int(parts.tm_sec), to: &out)
        out.append(staticString: " GMT")
        return out
    }

    private static func appendTwoDigits(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value / 10) &+ 0x30)
        out.append(UInt8(truncatingIfNeeded: value % 10) &+ 0x30)
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func append(staticString: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: staticString.utf8Start, count: staticString.utf8CodeUnitCount))
    }
}
