import RespClient

/// A minimal blocking RESP2 client on its own socket, with its own framing and parsing, so assertions about what
/// Redis stored (XLEN, XRANGE, SELECT) and fixture commands (SET, CLIENT PAUSE) do not go through the code under test.
public final class BlockingRedisClient {
    private let socket: BlockingSocket

    public init(port: Int) throws(BlockingSocket.Failure) {
        socket = try BlockingSocket(port: port)
    }

    /// Sends one command and waits for its reply (an error reply comes back as `.error`, not thrown).
    @discardableResult
    public func command(_ arguments: String...) throws(BlockingSocket.Failure) -> RESPValue {
        try command(arguments)
    }

    @discardableResult
    public func command(_ arguments: [String]) throws(BlockingSocket.Failure) -> RESPValue {
        var frame = "*\(arguments.count)\r\n"
        for argument in arguments {
            frame += "$\(argument.utf8.count)\r\n\(argument)\r\n"
        }
        try socket.send(frame)
        return try readReply()
    }

    /// The reply of a command that must answer with an integer (XLEN, DBSIZE).
    public func integer(_ arguments: String...) throws(BlockingSocket.Failure) -> Int64 {
        let reply = try command(arguments)
        guard case .integer(let value) = reply else { throw .unexpected("expected an integer reply, got \(reply)") }
        return value
    }

    /// Every entry ID of a stream, oldest first.
    public func streamIDs(_ key: String) throws(BlockingSocket.Failure) -> [String] {
        guard case .array(let entries) = try command("XRANGE", key, "-", "+") else { return [] }
        return entries.compactMap { entry -> String? in
            guard case .array(let parts) = entry else { return nil }
            return parts.first?.string
        }
    }

    private func readReply() throws(BlockingSocket.Failure) -> RESPValue {
        let line = try socket.readLine()
        guard let type = line.first else { throw .unexpected("empty reply line") }
        let text = String(decoding: line.dropFirst(), as: UTF8.self)
        switch type {
        case UInt8(ascii: "+"):
            return .simpleString(text)
        case UInt8(ascii: "-"):
            return .error(text)
        case UInt8(ascii: ":"):
            guard let value = Int64(text) else { throw .unexpected("bad integer reply \(text)") }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(text) else { throw .unexpected("bad bulk length \(text)") }
            if length < 0 { return .null }
            return .bulkString(Array(try socket.read(count: length + 2).dropLast(2)))
        case UInt8(ascii: "*"):
            guard let count = Int(text) else { throw .unexpected("bad array length \(text)") }
            if count < 0 { return .null }
            var elements: [RESPValue] = []
            for _ in 0..<count { elements.append(try readReply()) }
            return .array(elements)
        default:
            throw .unexpected("unexpected reply type byte \(type)")
        }
    }
}
