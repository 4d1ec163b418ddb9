/// The entries read in one go and what became of each, from the read to the XACK.
///
/// Points are kept back to back in one buffer, each line ending in `\n`, so any contiguous run of points is one
/// slice of it: a write of points `i..<j` sends `lines[offsets[i]..<offsets[j]]` without copying them together.
struct Batch {
    /// Where the entries came from; entries read again (pending or claimed) need their delivery counts checked.
    enum Source {
        case new, pending, claimed
    }

    let source: Source
    var entries: [StreamEntry]
    /// Line-protocol bytes of the points, in order.
    var lines: [UInt8] = []
    /// `offsets[k]..<offsets[k + 1]` is point `k`; `offsets.count == pointEntry.count + 1`.
    var offsets: [Int] = [0]
    /// For each point, the index of its entry.
    var pointEntry: [Int] = []
    var receivedAt: [Int64?] = []
    /// Entries bound for the dead-letter stream, with the reason.
    var deadLetters: [(entry: Int, reason: DeadLetterReason)] = []
    /// Point ranges still to write. A range InfluxDB refuses with 400 is split in two until the bad point is alone.
    var unwritten: [Range<Int>] = []
    var written = 0

    init(source: Source, entries: [StreamEntry]) {
        self.source = source
        self.entries = entries
    }

    var pointCount: Int { pointEntry.count }

    /// The benchmark's events (four tags, two metadata fields) average 134 bytes a line; reserving 200 per entry
    /// once saves the reallocations of a buffer of up to a megabyte growing by doubling. Longer lines still fit:
    /// the buffer grows as before.
    static let reservedBytesPerEntry = 200

    /// Encodes the entries in `range` (call in order, slice after slice).
    mutating func encode(
        _ range: Range<Int>, with encoder: inout PointEncoder, deliveries: [String: Int], maxDeliveries: Int
    ) {
        if range.lowerBound == 0 {
            lines.reserveCapacity(entries.count * Self.reservedBytesPerEntry)
            offsets.reserveCapacity(entries.count + 1)
            pointEntry.reserveCapacity(entries.count)
            receivedAt.reserveCapacity(entries.count)
        }
        for index in range {
            let entry = entries[index]
            guard entry.exists else { continue }  // deleted from the stream while pending: only acked
            if !deliveries.isEmpty, let count = deliveries[entry.id], count > maxDeliveries {
                deadLetters.append((index, .maxDeliveries(count)))
                continue
            }
            switch encoder.append(entry, to: &lines) {
            case .success(let receivedAtMilliseconds):
                lines.append(0x0A)
                offsets.append(lines.count)
                pointEntry.append(index)
                receivedAt.append(receivedAtMilliseconds)
            case .failure(let reason):
                deadLetters.append((index, reason))
            }
        }
    }

    /// One write of every point, once all are encoded.
    mutating func planWrite() {
        if pointCount > 0 { unwritten = [0..<pointCount] }
    }

    func body(for range: Range<Int>) -> ArraySlice<UInt8> {
        lines[offsets[range.lowerBound]..<offsets[range.upperBound]]
    }
}
