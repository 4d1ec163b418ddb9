import CZlib
import Glibc

/// Inflates gzip and zlib (`deflate`) request bodies with the system zlib, into memory that never grows past
/// `maxDecodedBytes + 1`: a body that inflates further is refused as soon as the limit is crossed, so a 10 MB body
/// of compressed zeros costs at most the limit in memory and a few milliseconds of CPU, not the 10 GB it encodes.
///
/// One per consumer thread. The `z_stream` (about 7 KB of zlib state plus its 32 KB window) is allocated once and
/// reset per body; the output buffer is kept between bodies up to `retainedBytes`.
final class BodyInflater {
    enum Failure: Error, Equatable {
        /// The inflated body would exceed `maxDecodedBytes`: 413.
        case tooLarge
        /// Not a valid stream of the announced coding: 400 with this message.
        case corrupt(String)
        /// zlib could not allocate its state: 503, the request may be retried.
        case outOfMemory
    }

    let maxDecodedBytes: Int
    /// First output allocation, and what is kept after a larger body: typical batches inflate to tens of kilobytes.
    static let retainedBytes = 256 << 10
    /// Compressed telemetry is JSON or protobuf; 8× is a typical gzip ratio for it, so most bodies need no regrowth.
    private static let expectedRatio = 8

    private let stream: UnsafeMutablePointer<z_stream>
    private var initializedBits: Int32?
    private var buffer: UnsafeMutableRawBufferPointer

    init(maxDecodedBytes: Int) {
        self.maxDecodedBytes = maxDecodedBytes
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        buffer = .allocate(byteCount: 0, alignment: 1)
    }

    deinit {
        if initializedBits != nil { inflateEnd(stream) }
        stream.deallocate()
        buffer.deallocate()
    }

    /// Calls `body` with the inflated bytes, valid only during the call.
    func withInflated<R>(
        _ input: UnsafeRawBufferPointer, coding: BodyFormat.ContentCoding,
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> Result<R, Failure> {
        defer { shrinkIfLarge() }
        let count: Int
        switch inflate(input, coding: coding) {
        case .success(let produced): count = produced
        case .failure(let failure): return .failure(failure)
        }
        return .success(body(UnsafeRawBufferPointer(rebasing: buffer[0..<count])))
    }

    private func inflate(_ input: UnsafeRawBufferPointer, coding: BodyFormat.ContentCoding) -> Result<Int, Failure> {
        let name: String
        let windowBits: Int32
        switch coding {
        case .identity: preconditionFailure("identity bodies are not inflated")
        case .gzip: (name, windowBits) = ("gzip", 16 + MAX_WBITS)
        case .deflate: (name, windowBits) = ("zlib", MAX_WBITS)
        }
        guard input.count > 0, let inputBase = input.baseAddress else {
            return .failure(.corrupt("body: empty \(name) stream"))
        }
        guard reset(windowBits: windowBits) else { return .failure(.outOfMemory) }
        ensureCapacity(
            min(maxDecodedBytes + 1, max(Self.retainedBytes, input.count * Self.expectedRatio)), preserving: 0)

        stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBase.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        var produced = 0
        while true {
            if produced == buffer.count {
                guard buffer.count <= maxDecodedBytes else { return .failure(.tooLarge) }
                ensureCapacity(min(maxDecodedBytes + 1, buffer.count * 2), preserving: produced)
            }
            let room = buffer.count - produced
            stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            produced += room - Int(stream.pointee.avail_out)
            if produced > maxDecodedBytes { return .failure(.tooLarge) }
            switch status {
            case Z_STREAM_END:
                let remaining = Int(stream.pointee.avail_in)
                guard remaining > 0 else { return .success(produced) }
                // RFC 1952 allows several gzip members back to back (what `cat a.gz b.gz` makes); anything else
                // after the end of the stream is refused rather than silently ignored.
                let next = UnsafeRawPointer(stream.pointee.next_in!)
                guard coding == .gzip, remaining >= 2, next.load(as: UInt8.self) == 0x1F,
                    next.load(fromByteOffset: 1, as: UInt8.self) == 0x8B
                else { return .failure(.corrupt("body: \(remaining) bytes of trailing data after the \(name) stream")) }
                guard inflateReset(stream) == Z_OK else { return .failure(.outOfMemory) }
            case Z_OK:
                break
            case Z_BUF_ERROR:
                // No progress possible: either the output is full (grown above) or the input ran out early.
                if stream.pointee.avail_out > 0 { return .failure(.corrupt("body: truncated \(name) stream")) }
            case Z_NEED_DICT:
                return .failure(.corrupt("body: \(name) stream needs a preset dictionary, which is not supported"))
            case Z_DATA_ERROR:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
                return .failure(.corrupt("body: invalid \(name) stream (\(reason))"))
            case Z_MEM_ERROR:
                return .failure(.outOfMemory)
            default:
                preconditionFailure("inflate returned \(status) for a stream it initialised")
            }
        }
    }

    /// Initialises the stream once, then resets it per body (switching between gzip and zlib framing as needed).
    private func reset(windowBits: Int32) -> Bool {
        if let bits = initializedBits {
            guard bits != windowBits else { return inflateReset(stream) == Z_OK }
            guard inflateReset2(stream, windowBits) == Z_OK else { return false }
            initializedBits = windowBits
            return true
        }
        guard CZlib_inflateInit2(stream, windowBits) == Z_OK else { return false }
        initializedBits = windowBits
        return true
    }

    /// Grows the output buffer to `count` bytes, keeping its first `preserving` bytes.
    private func ensureCapacity(_ count: Int, preserving: Int) {
        guard count > buffer.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        if preserving > 0 { grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<preserving])) }
        buffer.deallocate()
        buffer = grown
    }

    private func shrinkIfLarge() {
        guard buffer.count > Self.retainedBytes else { return }
        buffer.deallocate()
        buffer = .allocate(byteCount: 0, alignment: 1)
    }
}
