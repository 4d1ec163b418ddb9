import RespClient

/// Records read from one segment to be replayed into Redis together.
struct SpoolForwardBatch {
    let sequence: UInt64
    private(set) var records: [[TelemetryEvent]] = []
    /// Where each record ends in the segment: the cursor after it is acknowledged.
    private(set) var ends: [Int] = []
    private(set) var eventCount = 0
    /// Events of a damaged record the read moved aside instead (they will never be forwarded).
    var lostEvents = 0

    init(sequence: UInt64) {
        self.sequence = sequence
    }

    mutating func add(_ events: [TelemetryEvent], endingAt end: Int) {
        records.append(events)
        ends.append(end)
        eventCount += events.count
    }

    /// Events in the first `count` records.
    func events(inFirst count: Int) -> Int {
        records.prefix(count).reduce(0) { $0 + $1.count }
    }

    /// `MULTI`, the record's `XADD`s exactly as the direct path writes them, `EXEC`, for every record: a record is
    /// stored whole or not at all, and all of them leave in one pipelined write.
    func encode(into target: StreamTarget) -> (bytes: [UInt8], commandCounts: [Int]) {
        var bytes: [UInt8] = []
        var counts: [Int] = []
        counts.reserveCapacity(records.count)
        for events in records {
            RESPEncoder.appendCommand([.staticString("MULTI")], to: &bytes)
            for event in events { target.appendXADD(event, to: &bytes) }
            RESPEncoder.appendCommand([.staticString("EXEC")], to: &bytes)
            counts.append(events.count + 2)
        }
        return (bytes, counts)
    }
}
