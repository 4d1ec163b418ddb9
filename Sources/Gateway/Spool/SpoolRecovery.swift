import Glibc
import Reactor

/// What a spool directory holds when the gateway starts, after repairing what a crash or the disk left behind.
///
/// - A segment behind the cursor was fully acknowledged before the crash: deleted.
/// - A torn tail (the file ends inside a record, or in bytes that are no record: a crash mid-append) is truncated
///   away. No request was answered for it: its `200` waits for the fdatasync that never completed.
/// - A damaged record with valid records after it is moved aside, to `corrupt/<segment>-<offset>.bad`, counted in
///   `gateway_spool_corrupt_records_total` and logged; the segment is rewritten without it (a new file renamed over
///   the old one). Its events are not forwarded, but they are never silently dropped either.
/// - An empty segment (created, then the crash came before its first record) is deleted.
struct SpoolRecovery {
    let directory: String
    let logger: Logger

    struct Result {
        var segments: [SpoolSegment] = []
        var cursor: SpoolCursor
        var corruptRecords = 0
        var truncatedBytes = 0
        var nextSequence: UInt64 = 1
    }

    static let corruptDirectory = "corrupt"

    func recover() throws(SystemError) -> Result {
        let names = try SpoolFiles.list(directory)
        for name in names where name.hasSuffix(".tmp") { try SpoolFiles.remove(path(name)) }
        let sequences = names.compactMap(SpoolSegment.sequence(ofName:)).sorted()
        let saved = try? SpoolCursor(decoding: SpoolFiles.readWholeFile(path(SpoolCursor.fileName)))
        var result = Result(cursor: saved ?? SpoolCursor(sequence: 0, offset: 0))
        // Never reuse a sequence the cursor has passed, or the next recovery would take a new segment for an
        // acknowledged one and delete it.
        result.nextSequence = max(sequences.last ?? 0, result.cursor.sequence) + 1
        for (index, sequence) in sequences.enumerated() {
            let name = SpoolSegment.name(sequence)
            if sequence < result.cursor.sequence {
                try SpoolFiles.remove(path(name))
                continue
            }
            if let segment = try recoverSegment(sequence, isLast: index == sequences.count - 1, into: &result) {
                result.segments.append(segment)
            }
        }
        // Forwarding starts at the saved cursor if its segment survived, else at the oldest segment.
        if let first = result.segments.first, first.sequence != result.cursor.sequence {
            result.cursor = SpoolCursor(sequence: first.sequence, offset: SpoolSegment.headerBytes)
        }
        return result
    }

    /// Scans and repairs one segment; nil when nothing in it is left to forward (it was deleted).
    private func recoverSegment(
        _ sequence: UInt64, isLast: Bool, into result: inout Result
    )
        throws(SystemError) -> SpoolSegment?
    {
        let name = SpoolSegment.name(sequence)
        var bytes = try SpoolFiles.readWholeFile(path(name))
        guard bytes.count >= SpoolSegment.headerBytes, Array(bytes[0..<SpoolSegment.headerBytes]) == SpoolSegment.magic
        else {
            if isLast || bytes.isEmpty {
                try SpoolFiles.remove(path(name))  // created, then the crash came before the header reached the disk
            } else {
                try moveAside(bytes[...], from: name, offset: 0)
                result.corruptRecords += 1
                try SpoolFiles.remove(path(name))
            }
            return nil
        }
        let forwardFrom = sequence == result.cursor.sequence ? result.cursor.offset : SpoolSegment.headerBytes
        var scan = Self.scan(bytes, from: SpoolSegment.headerBytes, forwardFrom: forwardFrom)
        if let torn = scan.tornAt {
            result.truncatedBytes += bytes.count - torn
            logger.warn(
                "spool: truncated a torn record at the end of a segment",
                ["segment": name, "offset": String(torn), "bytes": String(bytes.count - torn)])
            let fd = try SpoolFiles.openFile(path(name), flags: O_WRONLY)
            defer { close(fd) }
            try SpoolFiles.truncate(fd, to: torn, path: path(name))
            try SpoolFiles.dataSync(fd, path: path(name))
            bytes.removeLast(bytes.count - torn)
        }
        if !scan.corrupt.isEmpty {
            for range in scan.corrupt { try moveAside(bytes[range], from: name, offset: range.lowerBound) }
            result.corruptRecords += scan.corrupt.count
            let kept = rewrite(bytes, without: scan.corrupt)
            try replace(name, with: kept)
            if sequence == result.cursor.sequence {
                result.cursor.offset -= scan.corrupt.reduce(0) {
                    $0 + max(0, min($1.upperBound, forwardFrom) - $1.lowerBound)
                }
            }
            bytes = kept
            let resumeAt = sequence == result.cursor.sequence ? result.cursor.offset : SpoolSegment.headerBytes
            scan = Self.scan(bytes, from: SpoolSegment.headerBytes, forwardFrom: resumeAt)
        }
        if bytes.count == SpoolSegment.headerBytes || scan.events == 0 && scan.recordsBeforeCursor == scan.records {
            try SpoolFiles.remove(path(name))
            return nil
        }
        return SpoolSegment(sequence: sequence, size: bytes.count, events: scan.events)
    }

    struct Scan {
        var records = 0
        var recordsBeforeCursor = 0
        /// Events in the records at or after the cursor.
        var events = 0
        var corrupt: [Range<Int>] = []
        var tornAt: Int?
    }

    /// Walks the records of `bytes` from `start`: counts them (and the events of those at or after `forwardFrom`),
    /// and finds the damaged stretches and the torn tail.
    static func scan(_ bytes: [UInt8], from start: Int, forwardFrom: Int) -> Scan {
        bytes.withUnsafeBytes { raw in
            var scan = Scan()
            var offset = start
            while offset < raw.count {
                if case .record(let payload, let end) = SegmentScan.item(in: raw, at: offset) {
                    scan.records += 1
                    if offset < forwardFrom {
                        scan.recordsBeforeCursor += 1
                    } else {
                        scan.events +=
                            SpoolRecord.eventCount(payload: UnsafeRawBufferPointer(rebasing: raw[payload])) ?? 0
                    }
                    offset = end
                } else if let next = SegmentScan.resynchronize(in: raw, after: offset) {
                    scan.corrupt.append(offset..<next)
                    offset = next
                } else {
                    scan.tornAt = offset
                    break
                }
            }
            return scan
        }
    }

    private func rewrite(_ bytes: [UInt8], without ranges: [Range<Int>]) -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var offset = 0
        for range in ranges {
            kept.append(contentsOf: bytes[offset..<range.lowerBound])
            offset = range.upperBound
        }
        kept.append(contentsOf: bytes[offset...])
        return kept
    }

    /// Writes `bytes` to a temporary file, syncs it, and renames it over `name`: a crash leaves the old or the new
    /// segment, never half of one.
    private func replace(_ name: String, with bytes: [UInt8]) throws(SystemError) {
        let temporary = path(name + ".tmp")
        try writeSynced(temporary, bytes[...])
        try SpoolFiles.rename(temporary, to: path(name))
        try syncDirectory(directory)
    }

    /// Copies a damaged stretch to `corrupt/<segment>-<offset>.bad` for the operator, durably, and logs it.
    func moveAside(_ bytes: ArraySlice<UInt8>, from name: String, offset: Int) throws(SystemError) {
        let corrupt = path(Self.corruptDirectory)
        try SpoolFiles.makeDirectories(corrupt)
        let target = corrupt + "/" + name.dropLast(SpoolSegment.suffix.count) + "-\(offset).bad"
        try writeSynced(target, bytes)
        try syncDirectory(corrupt)
        logger.error(
            "spool: a damaged record was moved aside; its events will not be forwarded",
            [
                "segment": name, "offset": String(offset), "bytes": String(bytes.count), "moved_to": target,
            ])
    }

    private func writeSynced(_ target: String, _ bytes: ArraySlice<UInt8>) throws(SystemError) {
        let fd = try SpoolFiles.openFile(target, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        try SpoolFiles.writeAll(fd, Array(bytes), at: 0, path: target)
        try SpoolFiles.dataSync(fd, path: target)
    }

    private func syncDirectory(_ target: String) throws(SystemError) {
        let fd = try SpoolFiles.openDirectory(target)
        defer { close(fd) }
        try SpoolFiles.syncDirectory(fd, path: target)
    }

    private func path(_ name: String) -> String { directory + "/" + name }
}
