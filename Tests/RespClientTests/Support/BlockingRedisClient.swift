import RespClient

/// A minimal blocking RESP2 client on its own socket, with its own framing and parsing, so assertions about what
/// Redis stored (XLEN, SELECT) and fixture commands (SET, CLIENT PAUSE) do not go through the code under test.
final class BlockingRedisClient {
    private let socket: BlockingSocket

    init(port: Int) throws(HarnessError) {
        socket = try BlockingSocket.connect(port: port)
    }

    /// Sends one command and waits for its reply.
    @discardableResult
    func command(_ arguments: String...) throws(HarnessError) -> RESPValue {
        try command(arguments)
    }

    @discardableResult
    func command(_ arguments: [String]) throws(HarnessError) -> RESPValue {
        var frame = "*\(arguments.count)\r\n"
        for argument in arguments {
            frame += "$\(argument.utf8.count)\r\n\(argument)\r\n"
        }
        try socket.send(frame)
        return try readReply()
    }

    /// The reply of a command that must answer with an integer (XLEN, DBSIZE).
    func integer(_ arguments: String...) throws(HarnessError) -> Int64 {
        let reply = try command(arguments)
        guard case .integer(let value) = reply else { throw HarnessError("expected an integer reply, got \(reply)") }
        return value
    }

    private func readReply() throws(HarnessError) -> RESPValue {
        guard let line = try socket.readLine(), let type = line.first else {
            throw HarnessError("connection closed while waiting for a reply")
        }
        let text = String(decoding: line.dropFirst(), as: UTF8.self)
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(text)
        case UInt8(ascii: "-"):
            return .error(text)
        case UInt8(ascii: ":"):
            guard let value = Int64(text) else { throw HarnessError("bad integer reply \(text)") }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(text) else { throw HarnessError("bad bulk length \(text)") }
            if length < 0 { return .null }
            guard let body = try socket.read(count: length + 2) else { throw HarnessError("bulk cut short") }
            return .bulkString(Array(body.dropLast(2)))
        case UInt8(ascii: "*"):
            guard let count = Int(text) else { throw HarnessError("bad array length \(text)") }
            if count < 0 { return .null }
            var elements: [RESPValue] = []
            for _ in 0..<count { elements.append(try readReply()) }
            return .array(elements)
        default:
            throw HarnessError("unexpected reply type byte \(type)")
        }
    }
}
