/// What the operator (`POST /start`, `/stop`) and the shutdown sequence change, and what admission and `/ready`
/// read. Loop thread only: every reader and writer is a request handler or the shutdown sequence, and both run there.
final class GatewayState {
    private let logger: Logger
    /// False after `POST /stop`: telemetry is refused with 503 until `POST /start`.
    private(set) var isRunning = true
    /// True from the first SIGTERM/SIGINT on: `/ready` answers 503 so load balancers stop sending.
    private(set) var isShuttingDown = false

    init(logger: Logger) {
        self.logger = logger
    }

    func setRunning(_ value: Bool) {
        guard value != isRunning else { return }
        isRunning = value
        logger.info(value ? "ingestion started" : "ingestion stopped")
    }

    /// Marks the start of shutdown; false when it had already started.
    func beginShutdown() -> Bool {
        guard !isShuttingDown else { return false }
        isShuttingDown = true
        return true
    }
}
