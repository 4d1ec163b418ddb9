import Dispatch
import Gateway
import Glibc
import Reactor
import Synchronization

extension Processor {
    /// The longest SIGTERM waits for the batch in flight to be written and acked.
    static let drainTimeout: Duration = .seconds(10)

    /// The executable's whole life: parse configuration, process until SIGTERM/SIGINT, finish the batch in flight,
    /// exit 0. Returns the exit status (2 for a bad flag or value, 1 when it cannot start).
    public static func main(arguments: [String], environment: [String: String]) -> Int32 {
        let config: ProcessorConfig
        do {
            switch try ProcessorConfig.parse(arguments: arguments, environment: environment) {
            case .help:
                print(ProcessorConfig.usage, terminator: "")
                return 0
            case .run(let parsed):
                config = parsed
            }
        } catch {
            var line = Array("telemetry-processor: \(error)\n".utf8)
            _ = line.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            return 2
        }

        let logger = Logger(level: config.logLevel)
        Posix.ignoreSIGPIPE()
        let loop: EventLoop
        let processor: Processor
        let server: HTTPServer
        do {
            loop = try EventLoop()
            processor = Processor(config: config, logger: logger, loop: loop)
            server = HTTPServer(
                loop: loop,
                configuration: HTTPServerConfiguration(
                    listener: ListenerConfiguration(host: config.host, port: config.port)),
                handler: ProcessorHTTPHandler(processor: processor))
            let address = try server.start()
            logger.info(
                "processor listening",
                [
                    "address": "\(address)", "stream": config.stream, "group": config.group,
                    "consumer": config.consumer,
                    "influx": "\(config.influx)", "api": config.sinkAPI.logDescription,
                ])
        } catch {
            logger.error("cannot start", ["error": "\(error)", "address": "\(config.host):\(config.port)"])
            return 1
        }
        processor.start()

        // `stop` calls back on the loop thread, the only place the server may be used: LoopBound checks it.
        let boundServer = LoopBound(server, loop: loop)
        let received = Atomic<Int>(0)
        let signals = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.add(1, ordering: .relaxed).newValue > 1 {
                    logger.warn("second signal: exiting without draining", ["signal": name])
                    exit(1)
                }
                logger.info("shutting down", ["signal": name])
                processor.stop(timeout: drainTimeout) {
                    boundServer.value.closeAll()
                    loop.stop()
                }
            }
            source.resume()
            return source
        }
        loop.run()
        for source in signals { source.cancel() }
        logger.info("stopped", ["acked": "\(processor.metrics.entriesAcked.value)"])
        return 0
    }
}
