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
        // The system zlib, for gzip and deflate request bodies (Content-Encoding).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Reactor", dependencies: ["CReactorShim"]),
        .target(name: "RespClient", dependencies: ["Reactor"]),
        .target(name: "Gateway", dependencies: ["Reactor", "RespClient", "CZlib"]),
        .executableTarget(name: "telemetry-gateway", dependencies: ["Gateway"]),
        // Moves stored events from the Redis stream into InfluxDB (issue 9). Uses the gateway's logger and metrics.
        .target(name: "Processor", dependencies: ["Reactor", "RespClient", "Gateway"]),
        .executableTarget(name: "telemetry-processor", dependencies: ["Processor"]),
        // Starts a private redis-server; shared by resp-bench and the tests (through TestSupport), so the benchmark
        // does not depend on test code. Not part of any product.
        .target(name: "RedisServerLauncher"),
        // Benchmark (not a test): pipelined XADD throughput of one RedisConnection; run by scripts/resp-bench.
        .executableTarget(name: "resp-bench", dependencies: ["RespClient", "Reactor", "RedisServerLauncher"]),
        // Process, socket and Redis helpers shared by the test targets.
        .target(
            name: "TestSupport", dependencies: ["RespClient", "RedisServerLauncher"], path: "Tests/TestSupport"),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "TestSupport"]),
        .testTarget(name: "RespClientTests", dependencies: ["RespClient", "Reactor", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Reactor", "RespClient", "TestSupport", "telemetry-gateway", "CZlib"]),
        .testTarget(
            name: "ProcessorTests",
            dependencies: ["Processor", "Reactor", "RespClient", "TestSupport", "telemetry-processor", "telemetry-gateway"]),
    ]
)

// The operator console's page, styles and scripts (Sources/Gateway/Console/Assets), compiled into the Gateway module
// as byte arrays: PackageResources.index_html, .app_js, ... Set here rather than in the target's declaration above,
// so that the list of files stays in one place.
package.targets.first { $0.name == "Gateway" }!.resources = [
    "index.html", "app.css", "app.js", "chart.js", "controls.js", "format.js", "table.js", "icon.svg",
].map { .embedInCode("Console/Assets/\($0)") }
