import Foundation
import Glibc
import RespClient
import TestSupport

/// Redis, InfluxDB and helpers to check what arrived where.
final class PipelineFixture: @unchecked Sendable {
    let redis: RedisServerProcess
    let influx: InfluxDBProcess
    let stream = "telemetry:events"
    let group = "telemetry-processor"

    init(redisArguments: [String] = []) throws {
        redis = try RedisServerProcess(redisArguments)
        influx = try InfluxDBProcess()
    }

    func stop() {
        redis.stop()
        influx.stop()
    }

    func writer() throws -> EventWriter { EventWriter(redis: try redis.client()) }

    func processor(_ arguments: [String] = []) throws -> ProcessorProcess {
        try ProcessorProcess(redisURL: redis.url, influxURL: influx.url, arguments: arguments)
    }

    func length(_ key: String? = nil) throws -> Int {
        Int(try redis.client().integer("XLEN", key ?? stream))
    }

    /// Entries delivered to the group and not acknowledged (XPENDING summary), 0 when the group does not exist yet.
    func pending() throws -> Int {
        guard case .array(let summary) = try redis.client().command("XPENDING", stream, group),
            let first = summary.first,
            case .integer(let count) = first
        else { return 0 }
        return Int(count)
    }

    /// The dead letters, each as a dictionary of its fields.
    func deadLetters() throws -> [[String: String]] {
        guard case .array(let entries) = try redis.client().command("XRANGE", stream + ":dead", "-", "+") else {
            return []
        }
        return entries.compactMap { entry in
            guard case .array(let parts) = entry, parts.count == 2, case .array(let flat) = parts[1] else { return nil }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < flat.count {
                fields[flat[index].string ?? ""] = flat[index + 1].string ?? ""
                index += 2
            }
            return fields
        }
    }

    /// Waits until InfluxDB holds `expected` points and nothing is pending; returns the last count seen.
    @discardableResult
    func waitForDrain(expected: Int, timeout: Duration = .seconds(60)) -> Int {
        var seen = -1
        _ = waitUntil(timeout: timeout) {
            seen = (try? influx.count()) ?? -1
            guard seen >= expected else {
                usleep(200_000)
                return false
            }
            return (try? pending()) == 0
        }
        return seen
    }
}
