import FoundationEssentials

/// Turns one stream entry into one line-protocol point, or says why it cannot be one.
///
/// ### Idempotency: the point's timestamp carries the entry ID
/// InfluxDB identifies a point by measurement, tag set and timestamp; writing the same key again replaces the
/// fields. So (1) the same entry must always produce the same line, byte for byte, and (2) two different entries
/// must never produce the same key, even for one device sending the same reading twice at the same timestamp.
///
/// (1) holds because the line is a pure function of the entry (sorted tags and fields, no wall clock). For (2) the
/// entry ID goes into the timestamp: the point's time is the event's time in milliseconds, written with nanosecond
/// precision, and the six sub-millisecond digits are `(entry ms mod 1000) * 1000 + (entry sequence mod 1000)`.
/// Entries are 1 µs apart at most within a millisecond of event time, which no query aggregating over time can
/// notice. A tag holding the entry ID would also work but would make every event its own series, which is exactly
/// the high-cardinality failure InfluxDB's storage cannot afford.
///
/// Two different entries with the same tags and the same event millisecond get the same key only when their IDs
/// agree in both `ms mod 1000` and `sequence mod 1000`: they reached Redis a whole number of seconds apart to the
/// millisecond and with the same sequence number (a sequence above 999 needs 1,000 XADDs within one millisecond).
/// Entries that reached Redis less than one second apart never collide. The event's own sub-millisecond digits,
/// when it sent any, are dropped: that is the price of the scheme.
struct PointEncoder {
    let measurement: [UInt8]
    let tagKeys: Set<String>
    let tagKeyBytes: [[UInt8]]
    /// The measurement as it starts every line, escaped once.
    let escapedMeasurement: [UInt8]
    /// The fast path compares names byte for byte; `String` compares canonical equivalents equal (KELVIN SIGN is
    /// `K`), which only ASCII names are sure to agree with.
    let fastPathEnabled: Bool
    var scratch = Scratch()
    /// One decoder for every entry: creating one per entry cost about a microsecond each.
    private let decoder = JSONDecoder()

    init(measurement: String, tagKeys: [String]) {
        self.measurement = Array(measurement.utf8)
        self.tagKeys = Set(tagKeys)
        tagKeyBytes = tagKeys.map { Array($0.utf8) }
        var escaped: [UInt8] = []
        LineProtocol.appendMeasurement(measurement.utf8, to: &escaped)
        escapedMeasurement = escaped
        fastPathEnabled = tagKeys.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
    }

    struct Point {
        var line: [UInt8]
        /// `received_at` in Unix milliseconds, for the end-to-end delay histogram.
        var receivedAtMilliseconds: Int64?
    }

    /// Fields the built-in tags and fields use; a metadata key with one of these names is written with a
    /// `metadata_` prefix instead of silently replacing them.
    static let reservedNames: Set<String> = ["device_id", "type", "unit", "priority", "value", "sequence_id"]

    /// Appends the entry's line (without the newline) to `out`: by the fast path when it can, else by `encode(_:)`.
    /// Returns `received_at` in Unix milliseconds, or why the entry has no point.
    mutating func append(_ entry: StreamEntry, to out: inout [UInt8]) -> Result<Int64?, DeadLetterReason> {
        if let id = StreamEntryID(entry.id), case .point(let receivedAt) = appendFast(entry, id: id, to: &out) {
            return .success(receivedAt)
        }
        switch encode(entry) {
        case .success(let point):
            out.append(contentsOf: point.line)
            return .success(point.receivedAtMilliseconds)
        case .failure(let reason):
            return .failure(reason)
        }
    }

    /// The general path: any JSON `JSONDecoder` reads, every dead-letter reason worded.
    func encode(_ entry: StreamEntry) -> Result<Point, DeadLetterReason> {
        guard let id = StreamEntryID(entry.id) else {
            return .failure(.undecodable("entry id \(entry.id) is not ms-seq"))
        }
        guard let raw = entry.field("data") else { return .failure(.undecodable("no data field")) }
        let event: EventData
        if let fast = EventJSONParser.parse(raw) {
            event = fast
        } else {
            do {
                event = try decoder.decode(EventData.self, from: Data(raw))
            } catch {
                return .failure(.undecodable("data: \(Self.describe(error))"))
            }
        }
        guard event.value.isFinite else { return .failure(.undecodable("value is not a finite number")) }
        let receivedAt = event.receivedAt.flatMap(Timestamp.epochMilliseconds)
        let eventTime: Int64
        if let text = event.timestamp {
            guard let parsed = Timestamp.epochMilliseconds(text) else {
                return .failure(.undecodable("timestamp \(text) is not RFC 3339"))
            }
            eventTime = parsed
        } else if let receivedAt {
            eventTime = receivedAt
        } else {
            return .failure(.undecodable("neither timestamp nor received_at"))
        }
        let (scaled, overflow) = eventTime.multipliedReportingOverflow(by: 1_000_000)
        let subMillisecond = Int64(id.milliseconds % 1000) * 1000 + Int64(id.sequence % 1000)
        guard !overflow, scaled <= Int64.max - subMillisecond else {
            return .failure(.undecodable("timestamp outside InfluxDB's range"))
        }

        var tags: [(String, String)] = []
        let deviceID = entry.field("device_id").map { String(decoding: $0, as: UTF8.self) } ?? event.deviceID
        guard let deviceID, !deviceID.isEmpty else { return .failure(.undecodable("no device_id")) }
        tags.append(("device_id", deviceID))
        if let type = event.type { tags.append(("type", type)) }
        if let unit = event.unit { tags.append(("unit", unit)) }
        let priority = entry.field("priority").map { String(decoding: $0, as: UTF8.self) } ?? event.priority
        if let priority { tags.append(("priority", priority)) }
        var fields: [(String, MetadataValue)] = []
        for (key, value) in event.metadata ?? [:] {
            let name = Self.reservedNames.contains(key) ? "metadata_" + key : key
            if tagKeys.contains(key) {
                tags.append((name, value.tagText))
            } else {
                if case .number(let number) = value, !number.isFinite { continue }
                fields.append((name, value))
            }
        }
        tags.removeAll { $0.1.isEmpty }  // line protocol has no empty tag values: an absent tag reads the same
        tags.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        fields.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }

        var line: [UInt8] = []
        line.reserveCapacity(160 + raw.count)
        LineProtocol.appendMeasurement(measurement, to: &line)
        for (key, value) in tags {
            line.append(UInt8(ascii: ","))
            LineProtocol.appendKey(key.utf8, to: &line)
            line.append(UInt8(ascii: "="))
            LineProtocol.appendKey(value.utf8, to: &line)
        }
        line.append(contentsOf: " value=".utf8)
        LineProtocol.appendFloat(event.value, to: &line)
        if let sequence = event.sequenceID {
            line.append(contentsOf: ",sequence_id=".utf8)
            LineProtocol.appendInteger(sequence, to: &line)
        }
        for (key, value) in fields {
            line.append(UInt8(ascii: ","))
            LineProtocol.appendKey(key.utf8, to: &line)
            line.append(UInt8(ascii: "="))
            switch value {
            case .string(let text): LineProtocol.appendStringField(text.utf8, to: &line)
            case .number(let number): LineProtocol.appendFloat(number, to: &line)
            case .bool(let flag): line.append(contentsOf: (flag ? "true" : "false").utf8)
            }
        }
        line.append(UInt8(ascii: " "))
        LineProtocol.appendDecimal(scaled + subMillisecond, to: &line)
        return .success(Point(line: line, receivedAtMilliseconds: receivedAt))
    }

    /// One line for a DecodingError, without the coding-path noise.
    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
