import Foundation
import Glibc

/// A private Redis Cluster for one test: `primaries` primaries with `replicasPerPrimary` replicas each, real
/// `redis-server --cluster-enabled yes` processes joined by `redis-cli --cluster create`, on free loopback ports.
///
/// Returns once every node reports `cluster_state:ok` and every replica has attached, so a test starts against a
/// settled cluster. `stop()` kills every node; call it in a `defer`.
public final class RedisClusterProcess: @unchecked Sendable {
    public private(set) var nodes: [RedisServerProcess] = []

    /// How long a node may be unreachable before the others mark it failed and promote a replica: short, so failover
    /// tests take seconds, long enough that a loaded 2-core test machine does not fail nodes spuriously.
    public static let nodeTimeoutMilliseconds = 2_000

    public init(primaries: Int = 3, replicasPerPrimary: Int = 1) throws {
        guard let cli = TestEnvironment.which("redis-cli") else {
            throw HarnessError("redis-cli is not on PATH (apt-get install redis-tools)")
        }
        for _ in 0..<(primaries * (1 + replicasPerPrimary)) {
            nodes.append(try Self.startNode())
        }
        let create = Process()
        create.executableURL = URL(fileURLWithPath: cli)
        create.arguments =
            ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" }
            + ["--cluster-replicas", String(replicasPerPrimary), "--cluster-yes"]
        let output = Pipe()
        create.standardOutput = output
        create.standardError = output
        try create.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        create.waitUntilExit()
        guard create.terminationStatus == 0 else {
            stop()
            throw HarnessError("redis-cli --cluster create failed:\n\(text)")
        }
        let settled = waitUntil(timeout: .seconds(30)) { self.isSettled(replicas: primaries * replicasPerPrimary) }
        guard settled else {
            stop()
            throw HarnessError("the cluster did not reach cluster_state:ok with every replica attached")
        }
    }

    deinit {
        stop()
    }

    /// `redis://` seeds for every node, comma-separated, as `--redis` takes them.
    public var seeds: String { "redis://" + nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    public func stop() {
        for node in nodes { node.stop() }
    }

    /// A node's `CLUSTER INFO` field, e.g. `cluster_state`.
    public func info(_ node: RedisServerProcess, _ field: String) -> String? {
        guard let reply = try? node.client().command("CLUSTER", "INFO"), let text = reply.string else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return nil
    }

    private func isSettled(replicas: Int) -> Bool {
        guard nodes.allSatisfy({ info($0, "cluster_state") == "ok" }) else { return false }
        guard let reply = try? nodes[0].client().command("CLUSTER", "NODES"), let text = reply.string else {
            return false
        }
        let connectedReplicas = text.split(whereSeparator: \.isNewline).filter {
            $0.contains(" slave ") && $0.contains(" connected")
        }
        return connectedReplicas.count == replicas
    }

    /// A cluster node also listens on its port + 10,000 (the cluster bus), so the port must leave room for that and
    /// the bus port must be free too; another free port is tried otherwise.
    private static func startNode() throws -> RedisServerProcess {
        var lastError: Error = HarnessError("no port pair found")
        for _ in 0..<20 {
            let port = try TestEnvironment.freePort()
            guard port + 10_000 <= 65_535, TestEnvironment.isFree(port: port + 10_000) else { continue }
            do {
                return try RedisServerProcess(
                    [
                        "--port", String(port), "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", String(nodeTimeoutMilliseconds), "--appendonly", "yes",
                        "--appendfsync", "no",
                    ], port: port)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }
}
