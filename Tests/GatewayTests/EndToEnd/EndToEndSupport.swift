import Foundation
import TestSupport

/// A redis-server plus a gateway pointed at it, both private to one test.
final class GatewayFixture: @unchecked Sendable {
    let redis: RedisServerProcess
    let gateway: GatewayProcess
    let stream = "telemetry:events"

    init(gatewayArguments: [String] = [], redisArguments: [String] = [], shellPrefix: String? = nil) throws {
        redis = try RedisServerProcess(redisArguments)
        gateway = try GatewayProcess(redisURL: redis.url, arguments: gatewayArguments, shellPrefix: shellPrefix)
    }

    func client(timeout: Duration = .seconds(10)) throws -> RawHTTPClient {
        try gateway.client(timeout: timeout)
    }

    func storedCount() throws -> Int {
        try Int(redis.client().integer("XLEN", stream))
    }
}

extension ReceivedResponse {
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

enum Payload {
    static func event(_ device: String = "sensor-1", value: Double = 21.5, priority: String? = nil) -> String {
        var fields = [#""device_id":"\#(device)""#, #""value":\#(value)"#, #""unit":"celsius""#]
        if let priority { fields.append(#""priority":"\#(priority)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func batch(_ count: Int) -> String {
        "[" + (0..<count).map { event("batch-\($0)", value: Double($0)) }.joined(separator: ",") + "]"
    }
}

/// Runs `body` on `count` threads at once and waits for all of them.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(index)
            group.leave()
        }
    }
    group.wait()
}
