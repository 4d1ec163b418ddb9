import Foundation
import Glibc
import RedisServerLauncher
import Synchronization

struct Options {
    var count = 500_000
    var producers = 2
    /// Commands allowed in flight; producers sleep at the cap and resume once half of it has drained.
    var inFlight = 4096
    /// XADDs per submission: 1 is the worst case (one lock hold and one encode call per event).
    var batch = 1
    var bodyPath: String?
    var commit = "unknown"
    /// `--baseline no` skips redis-benchmark, to profile our client alone.
    var baseline = true

    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { Self.usage("\(flag) needs a value") }
            switch flag {
            case "--count": count = Self.positive(value, flag)
            case "--producers": producers = Self.positive(value, flag)
            case "--in-flight": inFlight = Self.positive(value, flag)
            case "--batch": batch = Self.positive(value, flag)
            case "--body": bodyPath = value
            case "--commit": commit = value
            case "--baseline": baseline = value != "no"
            default: Self.usage("unknown option \(flag)")
            }
        }
    }

    private static func positive(_ text: String, _ flag: String) -> Int {
        guard let value = Int(text), value > 0 else { usage("\(flag) needs a positive integer") }
        return value
    }

    static func usage(_ problem: String) -> Never {
        printError("resp-bench: \(problem)")
        printError(
            "usage: resp-bench [--count N] [--producers N] [--in-flight N] [--batch N] [--body PATH] "
                + "[--commit TEXT] [--baseline no]")
        exit(2)
    }
}

/// The gateway's telemetry event (the same 196 bytes as the load tests' body.json), used without `--body`.
let defaultBody =
    #"{"device_id":"sensor-17","type":"temperature","value":27.31,"unit":"celsius","priority":"MEDIUM","#
    + #""timestamp":"2026-11-30T04:00:00.000Z","metadata":{"location":"zone-1","firmware_version":"2.3.1"}}"#

let streamKey = "telemetry:bench"

/// The private redis-server, so that `fail` can take it down: `exit` runs no `defer`.
enum Cleanup {
    static let server = Mutex<RedisServerLauncher?>(nil)
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    printError("resp-bench: \(message)")
    Cleanup.server.withLock { $0?.stop() }
    exit(1)
}
