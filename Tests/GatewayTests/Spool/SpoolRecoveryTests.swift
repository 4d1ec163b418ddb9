import Foundation
import Glibc
import TestSupport
import Testing

@testable import Gateway

/// Recovery on real files: torn tails are cut off, damage in the middle is moved aside and counted, acknowledged
/// segments go, and nothing else is touched.
@Suite struct SpoolRecoveryTests {
    /// A spool directory with segments written by the record codec, removed afterwards.
    final class Directory {
        let path = TestEnvironment.temporaryDirectory("spool")
        /// Quiet unless something is wrong: recovery logs damage at error level.
        let logger = Logger(level: .error, fd: open("/dev/null", O_WRONLY))

        deinit { try? FileManager.default.removeItem(atPath: path) }

        func segmentPath(_ sequence: UInt64) -> String { path + "/" + SpoolSegment.name(sequence) }

        /// Writes a segment of one record per entry of `records` (each a number of events); returns the file bytes
        /// and where each record starts.
        @discardableResult
        func writeSegment(_ sequence: UInt64, records: [Int]) -> (bytes: [UInt8], starts: [Int]) {
            var bytes = SpoolSegment.magic
            var starts: [Int] = []
            for (index, count) in records.enumerated() {
                starts.append(bytes.count)
                let events = (0..<count).map { event in
                    TelemetryEvent(
                        deviceID: Array("d\(index)".utf8), priority: .medium,
                        data: Array(#"{"device_id":"d\#(index)","value":\#(event)}"#.utf8))
                }
                SpoolRecord.append(events, to: &bytes)
            }
            write(sequence, bytes)
            return (bytes, starts)
        }

        func write(_ sequence: UInt64, _ bytes: [UInt8]) {
            _ = FileManager.default.createFile(atPath: segmentPath(sequence), contents: Data(bytes))
        }

        func recover() throws -> SpoolRecovery.Result {
            try SpoolRecovery(directory: path, logger: logger).recover()
        }

        func size(_ sequence: UInt64) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: segmentPath(sequence)))?[.size] as? Int
        }
    }

    /// The last record cut at every byte offset (a crash mid-append): recovery truncates exactly that record and
    /// keeps the ones before it.
    @Test func tornTailIsTruncatedAtEveryOffset() throws {
        let directory = Directory()
        let (bytes, starts) = directory.writeSegment(1, records: [2, 1, 3])
        let lastStart = starts[2]
        for cut in lastStart..<bytes.count {
            directory.write(1, Array(bytes[..<cut]))
            let result = try directory.recover()
            #expect(result.segments.map(\.events) == [3], "cut at \(cut)")
            #expect(result.truncatedBytes == cut - lastStart, "cut at \(cut)")
            #expect(result.corruptRecords == 0)
            #expect(directory.size(1) == lastStart, "cut at \(cut)")
        }
        directory.write(1, bytes)
        #expect(try directory.recover().segments.map(\.events) == [6])
    }

    /// A zero-filled tail (the file grew but its data never reached the disk) is a torn tail too.
    @Test func zeroFilledTailIsTruncated() throws {
        let directory = Directory()
        let (bytes, _) = directory.writeSegment(1, records: [1, 1])
        directory.write(1, bytes + [UInt8](repeating: 0, count: 4096))
        let result = try directory.recover()
        #expect(result.segments.map(\.events) == [2])
        #expect(directory.size(1) == bytes.count)
    }

    /// A damaged record between valid ones is moved aside to corrupt/, counted, logged, and the segment rewritten
    /// without it; the next recovery finds nothing more to do.
    @Test func corruptMiddleRecordIsMovedAsideAndCounted() throws {
        let directory = Directory()
        let (bytes, starts) = directory.writeSegment(1, records: [2, 5, 3])
        var damaged = bytes
        damaged[starts[1] + 20] ^= 0x01
        directory.write(1, damaged)
        let result = try directory.recover()
        #expect(result.corruptRecords == 1)
        #expect(result.segments.map(\.events) == [5])
        #expect(directory.size(1) == bytes.count - (starts[2] - starts[1]))
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/corrupt")
        #expect(aside == ["0000000000000001-\(starts[1]).bad"])
        let moved = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path + "/corrupt/" + aside[0])))
        #expect(moved == Array(damaged[starts[1]..<starts[2]]))
        let again = try directory.recover()
        #expect(again.corruptRecords == 0)
        #expect(again.segments.map(\.events) == [5])
    }

    /// A damaged length (the record's end is unknowable) is skipped by finding the next valid record.
    @Test func corruptLengthIsSkippedToTheNextRecord() throws {
        let directory = Directory()
        let (bytes, starts) = directory.writeSegment(1, records: [1, 4, 2])
        var damaged = bytes
        damaged[starts[1] + 3] = 0x7F  // the length's high byte: far beyond the file
        directory.write(1, damaged)
        let result = try directory.recover()
        #expect(result.corruptRecords == 1)
        #expect(result.segments.map(\.events) == [3])
    }

    /// Segments behind the saved cursor were acknowledged before the crash and are deleted; events before the
    /// cursor in its own segment are not counted again; a header-only last segment is deleted.
    @Test func cursorDecidesWhatIsLeft() throws {
        let directory = Directory()
        directory.writeSegment(1, records: [3])
        let (_, starts) = directory.writeSegment(2, records: [1, 2, 4])
        directory.write(3, SpoolSegment.magic)
        let cursor = SpoolCursor(sequence: 2, offset: starts[2])
        _ = FileManager.default.createFile(atPath: directory.path + "/cursor", contents: Data(cursor.encoded))
        let result = try directory.recover()
        #expect(result.segments.map(\.sequence) == [2])
        #expect(result.segments.map(\.events) == [4])
        #expect(result.cursor == cursor)
        #expect(result.nextSequence == 4)
        #expect(directory.size(1) == nil && directory.size(3) == nil)
    }

    /// A torn cursor means "from the oldest segment": more replays, never a loss.
    @Test func tornCursorStartsFromTheOldestSegment() throws {
        let directory = Directory()
        directory.writeSegment(4, records: [2])
        var bytes = SpoolCursor(sequence: 9, offset: 100).encoded
        bytes[12] ^= 1
        _ = FileManager.default.createFile(atPath: directory.path + "/cursor", contents: Data(bytes))
        let result = try directory.recover()
        #expect(result.cursor == SpoolCursor(sequence: 4, offset: SpoolSegment.headerBytes))
        #expect(result.segments.map(\.events) == [2])
    }
}
