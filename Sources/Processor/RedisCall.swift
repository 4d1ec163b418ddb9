import Reactor
import RespClient

/// Collects the replies of one submission of several commands and hands them over together, on the loop thread.
final class RedisCall: RedisReplyHandler, @unchecked Sendable {
    typealias Completion = ([Result<RESPValue, RedisError>]) -> Void

    private var results: [Result<RESPValue, RedisError>]
    private var remaining: Int
    private let completion: Completion

    private init(count: Int, completion: @escaping Completion) {
        results = Array(repeating: .failure(.shutdown), count: count)
        remaining = count
        self.completion = completion
    }

    func redisReplied(_ result: Result<RESPValue, RedisError>, tag: Int) {
        results[tag] = result
        remaining -= 1
        if remaining == 0 { completion(results) }
    }

    /// Encodes `commands` back to back and submits them as one pipelined write. When the link is down nothing is
    /// sent and every command fails with that error, synchronously.
    static func submit(_ commands: [[RESPArgument]], on connection: RedisConnection, completion: @escaping Completion) {
        var bytes: [UInt8] = []
        for command in commands { RESPEncoder.appendCommand(command, to: &bytes) }
        let call = RedisCall(count: commands.count, completion: completion)
        let failure = bytes.withUnsafeBytes { buffer -> RedisError? in
            do {
                try connection.submit(encoded: buffer, commandCount: commands.count, handler: call)
                return nil
            } catch {
                return (error as? RedisError) ?? .notConnected("\(error)")
            }
        }
        if let failure {
            completion(Array(repeating: .failure(failure), count: commands.count))
        }
    }

    /// One command, one result.
    static func submit(
        _ command: [RESPArgument], on connection: RedisConnection,
        completion: @escaping (Result<RESPValue, RedisError>) -> Void
    ) {
        submit([command], on: connection) { completion($0[0]) }
    }
}

extension RESPValue {
    /// A RESP3 map or a RESP2 flat `[key, value, ...]` array (XINFO replies) as a dictionary keyed by text.
    var fieldDictionary: [String: RESPValue] {
        var result: [String: RESPValue] = [:]
        switch self {
        case .map(let pairs):
            for pair in pairs { if let key = pair.key.string { result[key] = pair.value } }
        case .array(let flat):
            var index = 0
            while index + 1 < flat.count {
                if let key = flat[index].string { result[key] = flat[index + 1] }
                index += 2
            }
        default:
            break
        }
        return result
    }

    var integerValue: Int? {
        switch self {
        case .integer(let value): Int(value)
        case .bulkString, .simpleString: string.flatMap { Int($0) }
        default: nil
        }
    }
}
