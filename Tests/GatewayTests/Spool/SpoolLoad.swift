import Foundation
import Glibc
import Synchronization
import TestSupport

/// Every acknowledged event of a spool test, by device and sequence number, and every other outcome.
final class AcknowledgedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var sequences: [String: [Int]] = [:]
    private(set) var statuses: [Int: Int] = [:]
    private(set) var spooledResponses = 0
    private(set) var transportErrors = 0

    func record(_ response: ReceivedResponse, device: String, sequences sent: Range<Int>) {
        lock.lock()
        defer { lock.unlock() }
        statuses[response.status, default: 0] += 1
        guard response.status == 200 else { return }
        sequences[device, default: []].append(contentsOf: sent)
        if response.json["spooled"] as? Bool == true { spooledResponses += 1 }
    }

    func recordTransportError() {
        lock.lock()
        transportErrors += 1
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return sequences.values.reduce(0) { $0 + $1.count }
    }

    var failedRequests: Int { statuses.filter { $0.key != 200 }.values.reduce(0, +) }
}

/// Posts events with a unique `sequence_id` per device from several connections until told to stop; `batch(worker)`
/// events per request (1 sends a single object). With `stopOnTransportError` a worker ends when the gateway goes
/// away (a kill -9), else it reconnects.
func postEvents(
    port: Int, devicePrefix: String, workers: Int, batch: @escaping @Sendable (Int) -> Int,
    into tally: AcknowledgedEvents, until stop: StopFlag, stopOnTransportError: Bool = false
) {
    concurrently(workers) { worker in
        let device = "\(devicePrefix)-\(worker)"
        let size = batch(worker)
        var client = try? RawHTTPClient(port: port, timeout: .seconds(5))
        var sequence = 0
        while !stop.isSet {
            let range = sequence..<(sequence + size)
            sequence += size
            let events = range.map { #"{"device_id":"\#(device)","value":\#($0),"sequence_id":\#($0)}"# }
            let body = size == 1 ? events[0] : "[" + events.joined(separator: ",") + "]"
            guard let connection = client, let response = try? connection.postJSON("/telemetry", body) else {
                tally.recordTransportError()
                if stopOnTransportError { return }
                usleep(20_000)
                client = try? RawHTTPClient(port: port, timeout: .seconds(5))
                continue
            }
            tally.record(response, device: device, sequences: range)
            if response.status != 200 { usleep(20_000) }
        }
    }
}

/// Tells load threads to finish.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    func stop() { flag.store(true, ordering: .relaxed) }

    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// Runs `body` on a thread of its own; `wait()` returns when it has finished.
final class Background: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [done] in
            body()
            done.signal()
        }
    }

    func wait() { done.wait() }
}

/// What the stream holds, compared with what was acknowledged.
struct StreamAudit {
    var entries = 0
    var missing = 0
    var duplicates = 0
    /// Devices whose events (first occurrences) are not in increasing sequence order in the stream.
    var outOfOrder: [String] = []

    init(redis: RedisServerProcess, stream: String = "telemetry:events", acknowledged: AcknowledgedEvents) throws {
        guard case .array(let rows) = try redis.client().command("XRANGE", stream, "-", "+") else { return }
        var seen = Set<String>()
        var last: [String: Int] = [:]
        for row in rows {
            guard case .array(let parts) = row, parts.count == 2, case .array(let fields) = parts[1] else { continue }
            entries += 1
            guard let dataIndex = fields.firstIndex(where: { $0.string == "data" }), dataIndex + 1 < fields.count,
                let text = fields[dataIndex + 1].string,
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let device = object["device_id"] as? String, let sequence = object["sequence_id"] as? Int
            else { continue }
            guard seen.insert("\(device)/\(sequence)").inserted else {
                duplicates += 1
                continue
            }
            if let previous = last[device], previous >= sequence, !outOfOrder.contains(device) {
                outOfOrder.append(device)
            }
            last[device] = sequence
        }
        for (device, sequences) in acknowledged.sequences {
            missing += sequences.filter { !seen.contains("\(device)/\($0)") }.count
        }
    }
}

extension GatewayProcess {
    /// A sample's value from /metrics, nil when unreadable.
    func metric(_ name: String) -> Double? {
        metrics([name])[name]
    }

    /// Samples from one scrape of /metrics (each the first line starting with its name).
    func metrics(_ names: [String]) -> [String: Double] {
        guard let text = try? client(timeout: .seconds(2)).request("GET", "/metrics").bodyText else { return [:] }
        let lines = text.split(separator: "\n")
        var values: [String: Double] = [:]
        for name in names {
            let line = lines.first { $0.hasPrefix(name + " ") }
            values[name] = line.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        return values
    }

    /// /health as JSON (empty when unreadable).
    var health: [String: Any] {
        (try? client(timeout: .seconds(2)).request("GET", "/health").json) ?? [:]
    }

    /// Waits until the spool has forwarded everything and /health says healthy.
    func waitForEmptySpool(timeout: Duration = .seconds(20)) -> Bool {
        waitUntil(timeout: timeout) {
            let health = self.health
            return health["spool_events"] as? Int == 0 && health["status"] as? String == "healthy"
        }
    }
}
