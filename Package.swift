// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "telemetry-gateway",
    products: [
        .executable(name: "telemetry-gateway", targets: ["telemetry-gateway"]),
        .library(name: "Reactor", targets: ["Reactor"]),
        .library(name: "RespClient", targets: ["RespClient"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .executable(name: "telemetry-processor", targets: ["telemetry-processor"]),
    ],
    targets: [
        // What Glibc's module map does not export: epoll, eventfd, timerfd, accept4.
        .target(name: "CReactorShim"),
        .target(name: "Reactor", dependencies: ["CReactorShim"]),
        .target(name: "RespClient", dependencies: ["Reactor"]),
        .target(name: "Gateway", dependencies: ["Reactor", "RespClient"]),
        .executableTarget(name: "telemetry-gateway", dependencies: ["Gateway"]),
        // Moves stored events from the Redis stream into InfluxDB (issue 9). Uses the gateway's logger and metrics.
        .target(name: "Processor", dependencies: ["Reactor", "RespClient", "Gateway"]),
        .executableTarget(name: "telemetry-processor", dependencies: ["Processor"]),
        // Benchmark (not a test): pipelined XADD throughput of one RedisConnection; run by scripts/resp-bench.
        .executableTarget(name: "resp-bench", dependencies: ["RespClient", "Reactor"]),
        // Process, socket and Redis helpers shared by the test targets.
        .target(name: "TestSupport", dependencies: ["RespClient"], path: "Tests/TestSupport"),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "TestSupport"]),
        .testTarget(name: "RespClientTests", dependencies: ["RespClient", "Reactor", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Reactor", "RespClient", "TestSupport", "telemetry-gateway"]),
        .testTarget(
            name: "ProcessorTests",
            dependencies: ["Processor", "Reactor", "RespClient", "TestSupport", "telemetry-processor", "telemetry-gateway"]),
    ]
)
