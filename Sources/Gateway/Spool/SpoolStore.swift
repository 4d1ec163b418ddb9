import Glibc
import Reactor

/// The segment files and the cursor, owned by the spool thread: appending a group, reading the next records to
/// forward, and deleting what Redis has acknowledged. Nothing here is shared; `Spool` publishes the gauges.
final class SpoolStore {
    /// Forwarding reads at most this much per batch: with `forwardEventsPerBatch`, one batch is what live traffic
    /// may find ahead of it in the Redis pipeline, a few milliseconds of Redis work.
    static let forwardBytesPerBatch = 512 * 1024
    static let forwardEventsPerBatch = 1_000

    let directory: String
    let logger: Logger
    let metrics: SpoolMetrics
    /// A segment closes once it holds this much; a full spool is then about 16 files, and a forwarded one is
    /// deleted soon after its records are acknowledged instead of when the whole spool drains.
    let segmentTargetBytes: Int
    private(set) var segments: [SpoolSegment]
    private(set) var cursor: SpoolCursor
    /// How long the last group's fdatasync took: the spool thread sizes its wait for a fuller group by it.
    private(set) var lastSyncNanoseconds: UInt64 = 0
    private var nextSequence: UInt64
    private var activeFD: Int32?
    private var readFD: (sequence: UInt64, fd: Int32)?
    private var cursorFD: Int32?
    private let directoryFD: Int32

    init(
        directory: String, directoryFD: Int32, maxBytes: Int, recovered: SpoolRecovery.Result, logger: Logger,
        metrics: SpoolMetrics
    ) {
        self.directory = directory
        self.directoryFD = directoryFD
        self.logger = logger
        self.metrics = metrics
        self.segmentTargetBytes = max(4096, min(64 << 20, maxBytes / 16))
        self.segments = recovered.segments
        self.cursor = recovered.cursor
        self.nextSequence = recovered.nextSequence
    }

    deinit {
        for fd in [activeFD, readFD?.fd, cursorFD].compactMap({ $0 }) { close(fd) }
    }

    var totalBytes: Int { segments.reduce(0) { $0 + $1.size } }
    var totalEvents: Int { segments.reduce(0) { $0 + $1.events } }

    // MARK: Appending

    /// Appends one group of framed records to the active segment and fdatasyncs it: when this returns, every record
    /// in the group is on disk. On a failure nothing of the group counts: the segment is cut back to its committed
    /// size (best effort) and closed, and the next group starts a new one.
    func append(_ group: [UInt8], events: Int) throws(SystemError) {
        if activeFD == nil
            || segments[segments.count - 1].size > SpoolSegment.headerBytes
                && segments[segments.count - 1].size + group.count > segmentTargetBytes
        {
            try roll()
        }
        let index = segments.count - 1
        let path = self.path(segments[index].sequence)
        let fd = activeFD!
        do throws(SystemError) {
            try SpoolFiles.writeAll(fd, group, at: segments[index].size, path: path)
            let started = SystemClock().now()
            try SpoolFiles.dataSync(fd, path: path)
            lastSyncNanoseconds = SystemClock().now().nanoseconds(since: started)
            metrics.fsyncDuration.observe(Double(lastSyncNanoseconds) / 1e9)
        } catch {
            try? SpoolFiles.truncate(fd, to: segments[index].size, path: path)
            closeActive()
            throw error
        }
        segments[index].size += group.count
        segments[index].events += events
    }

    /// Closes the active segment (deleting it if it never got a record) and creates the next one. The directory is
    /// synced so the new name survives a crash; the header itself is made durable by the first group's fdatasync.
    private func roll() throws(SystemError) {
        closeActive()
        let sequence = nextSequence
        let path = self.path(sequence)
        let fd = try SpoolFiles.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL)
        nextSequence += 1
        do throws(SystemError) {
            try SpoolFiles.writeAll(fd, SpoolSegment.magic, at: 0, path: path)
            try SpoolFiles.syncDirectory(directoryFD, path: directory)
        } catch {
            close(fd)
            try? SpoolFiles.remove(path)
            throw error
        }
        if segments.isEmpty { cursor = SpoolCursor(sequence: sequence, offset: SpoolSegment.headerBytes) }
        segments.append(SpoolSegment(sequence: sequence, size: SpoolSegment.headerBytes, events: 0))
        activeFD = fd
    }

    private func closeActive() {
        guard let fd = activeFD else { return }
        close(fd)
        activeFD = nil
        if let last = segments.last, last.size == SpoolSegment.headerBytes {
            segments.removeLast()
            try? SpoolFiles.remove(path(last.sequence))
        }
    }

    // MARK: Forwarding

    /// The next records to forward, from the cursor on, within one segment; empty when everything committed is
    /// forwarded. A record that fails its CRC here (the disk changed it after it was written) is moved aside and
    /// counted, as recovery would, and reading continues after it.
    func nextBatch() throws(SystemError) -> SpoolForwardBatch {
        dropFinishedSegments(spoolEmpty: false)
        guard let segment = segments.first, segment.sequence == cursor.sequence, cursor.offset < segment.size else {
            return SpoolForwardBatch(sequence: cursor.sequence)
        }
        let fd = try readDescriptor(segment.sequence)
        let available = segment.size - cursor.offset
        let segmentPath = path(segment.sequence)
        var chunk = try SpoolFiles.read(
            fd, count: min(available, Self.forwardBytesPerBatch), at: cursor.offset, path: segmentPath)
        if chunk.count >= SpoolRecord.headerBytes && chunk.count < available {
            // One record bigger than the read: read exactly that record.
            let length = chunk.withUnsafeBytes { SpoolRecord.readLittleEndian($0, at: 0, as: UInt32.self) }
            let needed = SpoolRecord.headerBytes + Int(length)
            if needed > chunk.count && needed <= available {
                chunk = try SpoolFiles.read(fd, count: needed, at: cursor.offset, path: segmentPath)
            }
        }
        var batch = SpoolForwardBatch(sequence: segment.sequence)
        chunk.withUnsafeBytes { raw in
            var offset = 0
            while batch.eventCount < Self.forwardEventsPerBatch,
                case .record(let payload, let end) = SegmentScan.item(in: raw, at: offset),
                let events = SpoolRecord.decode(payload: UnsafeRawBufferPointer(rebasing: raw[payload]))
            {
                batch.add(events, endingAt: cursor.offset + end)
                offset = end
            }
        }
        if batch.records.isEmpty { batch.lostEvents = try skipDamage(in: segment, at: cursor.offset) }
        return batch
    }

    /// The record at `offset` is damaged: moves it (up to the next valid record, or the end of what is committed)
    /// aside, and moves the cursor past it. Returns the events lost with it: what the segment counted minus what the
    /// valid records after it hold.
    private func skipDamage(in segment: SpoolSegment, at offset: Int) throws(SystemError) -> Int {
        let fd = try readDescriptor(segment.sequence)
        let rest = try SpoolFiles.read(fd, count: segment.size - offset, at: offset, path: path(segment.sequence))
        let next = rest.withUnsafeBytes { SegmentScan.resynchronize(in: $0, after: 0) } ?? rest.count
        let recovery = SpoolRecovery(directory: directory, logger: logger)
        try recovery.moveAside(rest[0..<next], from: SpoolSegment.name(segment.sequence), offset: offset)
        metrics.corruptRecords.add()
        let remaining = SpoolRecovery.scan(rest, from: next, forwardFrom: next).events
        let lost = max(0, segments[0].events - remaining)
        try acknowledge(
            through: SpoolCursor(sequence: segment.sequence, offset: offset + next), events: lost, spoolEmpty: false)
        return lost
    }

    /// Redis stored every record before `position`: the cursor moves there and is made durable, and segments wholly
    /// behind it are deleted. With `spoolEmpty` (nothing is waiting to be appended either) the active segment goes
    /// too, so an idle spool holds no files.
    func acknowledge(through position: SpoolCursor, events: Int, spoolEmpty: Bool) throws(SystemError) {
        cursor = position
        if let index = segments.firstIndex(where: { $0.sequence == position.sequence }) {
            segments[index].events -= events
        }
        try persistCursor()
        dropFinishedSegments(spoolEmpty: spoolEmpty)
    }

    private func dropFinishedSegments(spoolEmpty: Bool) {
        while let first = segments.first {
            let active = activeFD != nil && segments.count == 1
            let behind =
                first.sequence < cursor.sequence || first.sequence == cursor.sequence && cursor.offset >= first.size
            guard behind, !active || spoolEmpty else { return }
            if active { closeActiveForDeletion() }
            if readFD?.sequence == first.sequence, let fd = readFD?.fd {
                close(fd)
                readFD = nil
            }
            do {
                try SpoolFiles.remove(path(first.sequence))
            } catch {
                logger.warn("spool: cannot delete a forwarded segment", ["error": error.description])
            }
            segments.removeFirst()
            if first.sequence == cursor.sequence, let next = segments.first {
                cursor = SpoolCursor(sequence: next.sequence, offset: SpoolSegment.headerBytes)
            }
        }
    }

    private func closeActiveForDeletion() {
        if let fd = activeFD { close(fd) }
        activeFD = nil
    }

    private func persistCursor() throws(SystemError) {
        let path = directory + "/" + SpoolCursor.fileName
        if cursorFD == nil { cursorFD = try SpoolFiles.openFile(path, flags: O_WRONLY | O_CREAT) }
        let bytes = cursor.encoded
        try SpoolFiles.writeAll(cursorFD!, bytes, at: 0, path: path)
        try SpoolFiles.dataSync(cursorFD!, path: path)
    }

    private func readDescriptor(_ sequence: UInt64) throws(SystemError) -> Int32 {
        if let readFD, readFD.sequence == sequence { return readFD.fd }
        if let readFD { close(readFD.fd) }
        let fd = try SpoolFiles.openFile(path(sequence), flags: O_RDONLY)
        readFD = (sequence, fd)
        return fd
    }

    private func path(_ sequence: UInt64) -> String { directory + "/" + SpoolSegment.name(sequence) }
}
