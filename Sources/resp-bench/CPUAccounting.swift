import Foundation
import Glibc
import Reactor

/// User plus system CPU time, in seconds.
func cpuSeconds(_ who: Int32) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who), &usage)
    let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU seconds used so far by another process (utime + stime from /proc), for the redis-server column.
func processCPUSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    // Fields after "pid (comm) ": state is field 3, utime and stime are fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU seconds the whole machine spent busy (not idle, not waiting for I/O) so far, from /proc/stat.
func machineBusySeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
    else { return 0 }
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait is work.
    let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard ticks.count >= 5 else { return 0 }
    return (ticks.reduce(0, +) - ticks[3] - ticks[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU use of the client, of redis-server, and of everything else on the machine over one measured phase.
///
/// The machine is shared: "everything else" says whether another process was competing for the two cores.
struct CPUWindow {
    private let client: () -> Double
    private let redis: PrivateRedis
    private let clientStart: Double
    private let serverStart: Double
    private let machineStart: Double
    private let wallStart = monotonicSeconds()

    init(client: @escaping () -> Double, redis: PrivateRedis) {
        self.client = client
        self.redis = redis
        clientStart = client()
        serverStart = redis.cpuSeconds
        machineStart = machineBusySeconds()
    }

    /// Cores used (CPU seconds per wall second) by the client, the server and the rest, over `wall` seconds.
    func cores(over wall: Double) -> (client: Double, server: Double, others: Double) {
        let clientSeconds = client() - clientStart
        let serverSeconds = redis.cpuSeconds - serverStart
        // Machine ticks and process times both cover the whole span since `init`, not just the measured part.
        let span = monotonicSeconds() - wallStart
        let others = max(0, machineBusySeconds() - machineStart - clientSeconds - serverSeconds) / span
        return (clientSeconds / wall, serverSeconds / wall, others)
    }
}

func monotonicSeconds() -> Double {
    Double(SystemClock().now().nanoseconds) / 1e9
}
