/// Turns the byte stream of one Redis connection into replies, RESP2 or RESP3.
///
/// Bytes go in with `feed`, in pieces of any size; `next()` hands out each reply as soon as its last byte is in.
/// "Not yet" is `nil`, not an error, and costs nothing already done: the read cursor, a half-read line, a blob's
/// parsed header and every partially built aggregate (an explicit stack, never recursion) survive until more bytes
/// arrive. A reply split at any byte decodes to the same value as the whole reply.
///
/// The decoder trusts nothing it reads. Lengths and counts are checked against `RESPDecoderLimits` when their header
/// arrives, numbers use checked arithmetic, and nothing read is force-unwrapped or asserted, so a hostile server can
/// only cause a `RESPProtocolError`. That error is sticky (hiredis `__redisReaderSetError`): the stream is out of
/// frame and no later byte can be trusted, so every later `next()` throws it again and `feed` drops its input.
public struct RESPDecoder: Sendable {
    /// Consumed bytes are dropped from the front of the buffer only once at least this many have piled up, so the
    /// memmove is paid every few KiB rather than after each reply.
    private static let compactionThresholdBytes = 4096
    /// A drained buffer holding more capacity than this is released instead of reused, so one large reply does not
    /// pin its memory for the life of the connection. 64 KiB keeps one full socket read without reallocating.
    private static let retainedCapacityBytes = 64 * 1024
    /// The shortest encoding of any value (`_\r\n`): an aggregate never reserves more slots than the bytes already
    /// received could fill, so a bare header cannot make the decoder allocate for a million elements.
    private static let minimumValueBytes = 3

    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    /// A blob whose length line has been consumed and whose body (plus CRLF) has not fully arrived.
    private struct PendingBlob {
        var type: RESPBlobType
        var length: Int
    }

    /// What one step of decoding produced.
    private enum Step {
        case needMoreBytes
        case openedAggregate
        case value(RESPValue)
    }

    private let limits: RESPDecoderLimits
    private var buffer: [UInt8] = []
    /// Index of the first byte of `buffer` not yet consumed.
    private var readIndex = 0
    /// Bytes after the current line's type byte already known to hold no CR or LF, so a line arriving in small
    /// pieces is scanned once instead of from its start on every call.
    private var lineScannedBytes = 0
    private var pendingBlob: PendingBlob?
    private var openAggregates: [RESPPartialAggregate] = []
    private var failure: RESPProtocolError?

    public init(limits: RESPDecoderLimits = .init()) {
        self.limits = limits
    }

    /// Bytes received and not yet consumed: the unread part of a partial reply, and any replies not yet taken with
    /// `next()`. Elements already decoded into a partial aggregate and a blob's consumed length line are not counted.
    public var bufferedByteCount: Int {
        buffer.count - readIndex
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        makeRoom()
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: [UInt8]) {
        guard failure == nil, !bytes.isEmpty else { return }
        makeRoom()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, nil when more bytes are needed. Once it has thrown, it throws the same error forever
    /// (sticky), and feed() ignores input.
    public mutating func next() throws(RESPProtocolError) -> RESPValue? {
        if let failure { throw failure }
        do throws(RESPProtocolError) {
            let reply = try decodeReply()
            if readIndex == buffer.count { resetDrainedBuffer() }
            return reply
        } catch {
            failure = error
            buffer = []
            readIndex = 0
            lineScannedBytes = 0
            pendingBlob = nil
            openAggregates = []
            throw error
        }
    }

    // MARK: Buffer management

    /// Before appending: reuses a drained buffer from its start, and otherwise moves the unread bytes to the front
    /// when enough has been consumed and the move costs no more than the space it frees.
    private mutating func makeRoom() {
        let unread = buffer.count - readIndex
        if unread == 0 {
            resetDrainedBuffer()
        } else if readIndex >= Self.compactionThresholdBytes, readIndex >= unread {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    private mutating func resetDrainedBuffer() {
        if buffer.capacity > Self.retainedCapacityBytes {
            buffer = []
        } else {
            buffer.removeAll(keepingCapacity: true)
        }
        readIndex = 0
    }

    // MARK: Decoding

    private mutating func decodeReply() throws(RESPProtocolError) -> RESPValue? {
        while true {
            switch try decodeItem() {
            case .needMoreBytes:
                return nil
            case .openedAggregate:
                continue
            case .value(let value):
                if let reply = completeAggregates(with: value) { return reply }
            }
        }
    }

    /// Hands `value` to the innermost open aggregate, and each aggregate it completes to the one around it; returns
    /// the top-level reply once nothing is left open.
    private mutating func completeAggregates(with value: RESPValue) -> RESPValue? {
        var value = value
        while !openAggregates.isEmpty {
            guard let finished = openAggregates[openAggregates.count - 1].absorb(value) else { return nil }
            openAggregates.removeLast()
            value = finished
        }
        return value
    }

    private mutating func decodeItem() throws(RESPProtocolError) -> Step {
        if let blob = pendingBlob {
            return try decodeBlobBody(blob)
        }
        guard readIndex < buffer.count else { return .needMoreBytes }
        let typeByte = buffer[readIndex]
        if let type = RESPLineType(rawValue: typeByte) {
            return try decodeLine(type)
        }
        if let type = RESPBlobType(rawValue: typeByte) {
            return try decodeBlobHeader(type)
        }
        if let kind = RESPPartialAggregate.Kind(typeByte: typeByte) {
            return try decodeAggregateHeader(kind)
        }
        throw .unexpectedTypeByte(typeByte)
    }

    /// The content of the line at `readIndex` (after its type byte), consumed together with its CRLF; nil until the
    /// CRLF is in. A CR must be followed by LF and an LF preceded by CR, anywhere in the line.
    ///
    /// The scan never looks past the last place the CR may sit under `maxLineBytes`, so the first offending byte in
    /// stream order decides the error, however the input was split.
    private mutating func readLine() throws(RESPProtocolError) -> Range<Int>? {
        let contentStart = readIndex + 1
        let end = buffer.count
        let scanEnd = end - contentStart > limits.maxLineBytes ? contentStart + limits.maxLineBytes + 1 : end
        var index = contentStart + lineScannedBytes
        while index < scanEnd {
            let byte = buffer[index]
            if byte == Self.carriageReturn {
                guard index + 1 < end else { break }
                guard buffer[index + 1] == Self.lineFeed else { throw .crWithoutLF }
                readIndex = index + 2
                lineScannedBytes = 0
                return contentStart..<index
            }
            guard byte != Self.lineFeed else { throw .lfWithoutCR }
            index += 1
        }
        lineScannedBytes = index - contentStart
        guard lineScannedBytes <= limits.maxLineBytes else { throw .lineTooLong }
        return nil
    }

    private mutating func decodeLine(_ type: RESPLineType) throws(RESPProtocolError) -> Step {
        guard let line = try readLine() else { return .needMoreBytes }
        let text = buffer[line]
        switch type {
        case .simpleString:
            return .value(.simpleString(String(decoding: text, as: UTF8.self)))
        case .simpleError:
            return .value(.error(String(decoding: text, as: UTF8.self)))
        case .integer:
            guard let integer = RESPScalarParsing.int64(text) else { throw .badInteger }
            return .value(.integer(integer))
        case .double:
            guard let double = RESPScalarParsing.double(text) else { throw .badDouble }
            return .value(.double(double))
        case .null:
            guard text.isEmpty else { throw .badNull }
            return .value(.null)
        case .boolean:
            guard text.count == 1 else { throw .badBoolean }
            switch text[text.startIndex] {
            case UInt8(ascii: "t"): return .value(.boolean(true))
            case UInt8(ascii: "f"): return .value(.boolean(false))
            default: throw .badBoolean
            }
        case .bigNumber:
            guard RESPScalarParsing.isBigNumber(text) else { throw .badBigNumber }
            return .value(.bigNumber(String(decoding: text, as: UTF8.self)))
        }
    }

    /// A length or count line: a strict integer, -1 (null) or at least 0.
    private func length(of line: Range<Int>) throws(RESPProtocolError) -> Int {
        guard let value = RESPScalarParsing.int64(buffer[line]), let length = Int(exactly: value) else {
            throw .badLength
        }
        guard length >= -1 else { throw .lengthOutOfRange }
        return length
    }

    private mutating func decodeBlobHeader(_ type: RESPBlobType) throws(RESPProtocolError) -> Step {
        guard let line = try readLine() else { return .needMoreBytes }
        let length = try length(of: line)
        if length == -1 {
            // RESP3 has `_` for null; only RESP2's `$-1` is accepted as one.
            guard type == .bulkString else { throw .nullNotAllowed }
            return .value(.null)
        }
        guard length <= limits.maxBulkBytes else { throw .bulkTooLarge }
        if type == .verbatimString, length < 4 { throw .badVerbatim }
        let blob = PendingBlob(type: type, length: length)
        pendingBlob = blob
        return try decodeBlobBody(blob)
    }

    private mutating func decodeBlobBody(_ blob: PendingBlob) throws(RESPProtocolError) -> Step {
        let start = readIndex
        let available = buffer.count - start
        guard available >= 2, available - 2 >= blob.length else { return .needMoreBytes }
        let end = start + blob.length
        guard buffer[end] == Self.carriageReturn, buffer[end + 1] == Self.lineFeed else {
            throw .bulkNotTerminated
        }
        let body = buffer[start..<end]
        let value: RESPValue
        switch blob.type {
        case .bulkString:
            value = .bulkString(Array(body))
        case .blobError:
            value = .error(String(decoding: body, as: UTF8.self))
        case .verbatimString:
            guard buffer[start + 3] == UInt8(ascii: ":") else { throw .badVerbatim }
            value = .verbatimString(
                format: String(decoding: buffer[start..<start + 3], as: UTF8.self),
                text: Array(buffer[start + 4..<end])
            )
        }
        readIndex = end + 2
        pendingBlob = nil
        return .value(value)
    }

    private mutating func decodeAggregateHeader(_ kind: RESPPartialAggregate.Kind) throws(RESPProtocolError) -> Step {
        // Checked before the count is read, as hiredis does: an aggregate header this deep is refused whatever it
        // holds, so the limit needs no special cases for empty or null aggregates.
        guard openAggregates.count < limits.maxDepth else { throw .tooDeep }
        guard let line = try readLine() else { return .needMoreBytes }
        let count = try length(of: line)
        if count == -1 {
            // As for blobs: RESP3 aggregates have no null form, only RESP2's `*-1` is one.
            guard kind == .array else { throw .nullNotAllowed }
            return .value(.null)
        }
        guard count <= limits.maxElements else { throw .tooManyElements }
        if count == 0 {
            switch kind {
            case .array: return .value(.array([]))
            case .set: return .value(.set([]))
            case .push: return .value(.push([]))
            case .map: return .value(.map([]))
            case .attribute: break  // still owes the value it annotates
            }
        }
        let affordable = (buffer.count - readIndex) / Self.minimumValueBytes
        openAggregates.append(RESPPartialAggregate(kind: kind, count: count, reserving: min(count, affordable)))
        return .openedAggregate
    }
}
