import Foundation
import Glibc
import TestSupport
import Testing

@testable import Gateway

/// The spool thread's files without a gateway: appends, forwarding reads, acknowledgements, segment deletion, and a
/// record damaged after it was written.
@Suite struct SpoolStoreTests {
    private let directory = SpoolRecoveryTests.Directory()

    private func openStore(maxBytes: Int = 1 << 30) throws -> SpoolStore {
        let recovered = try directory.recover()
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY)
        return SpoolStore(
            directory: directory.path, directoryFD: fd, maxBytes: maxBytes, recovered: recovered,
            logger: directory.logger, metrics: SpoolMetrics())
    }

    private func record(_ device: String, _ values: Range<Int>) -> [UInt8] {
        var bytes: [UInt8] = []
        SpoolRecord.append(
            values.map {
                TelemetryEvent(deviceID: Array(device.utf8), priority: .low, data: Array("{\"v\":\($0)}".utf8))
            },
            to: &bytes)
        return bytes
    }

    /// Records come back in the order they were appended; acknowledging them all with nothing else pending deletes
    /// the segment, and a reopened store finds nothing to forward.
    @Test func appendForwardAcknowledge() throws {
        let store = try openStore()
        try store.append(record("a", 0..<3) + record("a", 3..<4), events: 4)
        try store.append(record("b", 0..<2), events: 2)
        #expect(store.totalEvents == 6)
        let batch = try store.nextBatch()
        #expect(batch.records.map(\.count) == [3, 1, 2])
        #expect(
            batch.records.flatMap { $0 }.map { String(decoding: $0.data, as: UTF8.self) }.prefix(2) == [
                #"{"v":0}"#, #"{"v":1}"#,
            ])
        try store.acknowledge(
            through: SpoolCursor(sequence: batch.sequence, offset: batch.ends[1]), events: 4, spoolEmpty: false)
        #expect(try openStore().totalEvents == 2, "the cursor is durable")
        try store.acknowledge(
            through: SpoolCursor(sequence: batch.sequence, offset: batch.ends[2]), events: 2, spoolEmpty: true)
        #expect(store.segments.isEmpty)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".seg") }.isEmpty)
        #expect(try openStore().totalEvents == 0)
    }

    /// Segments roll at 1/16 of the maximum (at least 4 KiB); a forwarded, closed segment is deleted while the
    /// active one stays.
    @Test func segmentsRollAndFinishedOnesAreDeleted() throws {
        let store = try openStore(maxBytes: 65_536)
        for index in 0..<40 { try store.append(record("r", (index * 10)..<(index * 10 + 10)), events: 10) }
        #expect(store.segments.count > 1)
        #expect(store.segments.allSatisfy { $0.size <= 4096 + 200 })
        let first = store.segments[0].sequence
        var forwarded = 0
        while store.segments.first?.sequence == first {
            let batch = try store.nextBatch()
            guard let end = batch.ends.last else { break }
            try store.acknowledge(
                through: SpoolCursor(sequence: batch.sequence, offset: end), events: batch.eventCount, spoolEmpty: false
            )
            forwarded += batch.eventCount
            _ = try store.nextBatch()  // moves past the finished segment
        }
        #expect(forwarded > 0)
        #expect(store.segments.first?.sequence != first)
        #expect(store.totalEvents == 400 - forwarded)
    }

    /// A record damaged on disk after it was written is moved aside when the forwarder reaches it, its events are
    /// reported lost, and forwarding continues with the next record.
    @Test func damageFoundWhileForwardingIsMovedAside() throws {
        let store = try openStore()
        let first = record("d", 0..<2)
        let second = record("d", 2..<7)
        try store.append(first + second + record("d", 7..<8), events: 8)
        let path = directory.segmentPath(store.segments[0].sequence)
        let fd = open(path, O_WRONLY)
        var garbage: UInt8 = 0xEE
        _ = pwrite(fd, &garbage, 1, off_t(SpoolSegment.headerBytes + first.count + 20))
        close(fd)
        let batch = try store.nextBatch()
        #expect(batch.records.map(\.count) == [2], "stops before the damage")
        try store.acknowledge(
            through: SpoolCursor(sequence: batch.sequence, offset: batch.ends[0]), events: 2, spoolEmpty: false)
        let skipped = try store.nextBatch()
        #expect(skipped.records.isEmpty && skipped.lostEvents == 5)
        #expect(store.metrics.corruptRecords.value == 1)
        #expect(try store.nextBatch().records.map(\.count) == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/corrupt").count == 1)
    }
}
