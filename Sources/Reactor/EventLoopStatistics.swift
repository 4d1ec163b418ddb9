extension EventLoop {
    /// Counters a test or a metrics scrape can read from the loop thread.
    public struct Statistics: Sendable {
        public var ticks = 0
        public var eventsDelivered = 0
        public var staleEventsDropped = 0
        public var wakeupsSignalled = 0
        public var tasksRun = 0
        public var timersFired = 0
    }
}
