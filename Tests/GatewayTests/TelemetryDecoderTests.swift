import Gateway
import Testing

@Suite struct TelemetryDecoderTests {
    private static let longName = String(repeating: "x", count: 70)
    private static let longNameInMessage = String(repeating: "x", count: 64) + "..."

    private static func nestedArrays(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    static let refusals: [(body: String, message: String)] = [
        // Whole-body problems.
        ("", "body: invalid JSON at byte 0: unexpected end of input"),
        ("  \n", "body: invalid JSON at byte 3: unexpected end of input"),
        (#"{"device_id":"d","value":1}}"#, "body: invalid JSON at byte 27: unexpected '}'"),
        (#"{"device_id":"d","value":1} x"#, "body: invalid JSON at byte 28: unexpected 'x'"),
        (#"{"device_id":"d","value":1,}"#, "body: invalid JSON at byte 27: unexpected '}'"),
        (#"{"device_id" "d","value":1}"#, "body: invalid JSON at byte 13: unexpected '\"'"),
        (#"{device_id:"d"}"#, "body: invalid JSON at byte 1: unexpected 'd'"),
        (#"{"device_id":'d',"value":1}"#, "body: invalid JSON at byte 13: unexpected '''"),
        (#"{"device_id":"d","value":NaN}"#, "body: invalid JSON at byte 25: unexpected 'N'"),
        (#"{"device_id":"d","value":Infinity}"#, "body: invalid JSON at byte 25: unexpected 'I'"),
        (#"{"device_id":"d","value":-Infinity}"#, "body: invalid JSON at byte 26: unexpected 'I'"),
        (#"{"device_id":"d","value":01}"#, "body: invalid JSON at byte 26: leading zeros are not allowed"),
        ("{\"device_id\":\"d\u{1}\",\"value\":1}", "body: invalid JSON at byte 15: control character in string"),
        (#"{"device_id":"d\q","value":1}"#, "body: invalid JSON at byte 15: invalid escape sequence"),
        (#"{"device_id":"d\u12G4","value":1}"#, #"body: invalid JSON at byte 15: invalid \u escape"#),
        (#"{"device_id":"d\uD800","value":1}"#, #"body: invalid JSON at byte 15: unpaired surrogate in \u escape"#),
        ("{\"device_id\":\"d\",\"value\":1}\u{0}", "body: invalid JSON at byte 27: unexpected byte 0x00"),
        (#"{"device_id":"d","value":1"#, "body: invalid JSON at byte 26: unexpected end of input"),
        ("42", "body: expected a JSON object or array of objects"),
        (#""event""#, "body: expected a JSON object or array of objects"),
        ("null", "body: expected a JSON object or array of objects"),
        ("true", "body: expected a JSON object or array of objects"),
        ("nul", "body: invalid JSON at byte 3: unexpected end of input"),
        (String(repeating: "[", count: 33) + String(repeating: "]", count: 33), "body: nesting deeper than 32"),
        // Batches.
        ("[]", "events: empty batch"),
        (" [ \n ] ", "events: empty batch"),
        ("[1]", "events[0]: expected an object"),
        (#"[{"device_id":"d","value":1},"x"]"#, "events[1]: expected an object"),
        (#"[{"device_id":"d","value":1},null]"#, "events[1]: expected an object"),
        (String(repeating: "[", count: 32) + String(repeating: "]", count: 32), "events[0]: expected an object"),
        // Required fields.
        (#"{"value":1}"#, "device_id: required"),
        ("{}", "device_id: required"),
        (#"{"device_id":"d"}"#, "value: required"),
        (#"{"device_id":null,"value":1}"#, "device_id: required"),
        (#"{"device_id":"d","value":null}"#, "value: required"),
        // device_id.
        (#"{"device_id":"","value":1}"#, "device_id: must be 1 to 128 bytes"),
        (#"{"device_id":"\#(String(repeating: "a", count: 129))","value":1}"#, "device_id: must be 1 to 128 bytes"),
        (#"{"device_id":"\#(String(repeating: "é", count: 65))","value":1}"#, "device_id: must be 1 to 128 bytes"),
        (#"{"device_id":"a\u0001","value":1}"#, "device_id: control characters are not allowed"),
        (#"{"device_id":"a\u001F","value":1}"#, "device_id: control characters are not allowed"),
        (#"{"device_id":"a\u0000","value":1}"#, "device_id: control characters are not allowed"),
        (#"{"device_id":"a\n","value":1}"#, "device_id: control characters are not allowed"),
        (#"{"device_id":"a\u007f","value":1}"#, "device_id: control characters are not allowed"),
        ("{\"device_id\":\"a\u{7F}\",\"value\":1}", "device_id: control characters are not allowed"),
        (#"{"device_id":5,"value":1}"#, "device_id: expected a string"),
        (#"{"device_id":["d"],"value":1}"#, "device_id: expected a string"),
        // value.
        (#"{"device_id":"d","value":"1"}"#, "value: expected a finite number"),
        (#"{"device_id":"d","value":true}"#, "value: expected a finite number"),
        (#"{"device_id":"d","value":{}}"#, "value: expected a finite number"),
        (#"{"device_id":"d","value":1e400}"#, "value: expected a finite number"),
        (#"{"device_id":"d","value":-1e400}"#, "value: expected a finite number"),
        // Optional fields of the wrong type or shape.
        (#"{"device_id":"d","value":1,"type":5}"#, "type: expected a string"),
        (#"{"device_id":"d","value":1,"unit":{}}"#, "unit: expected a string"),
        (#"{"device_id":"d","value":1,"priority":"urgent"}"#, "priority: expected HIGH, MEDIUM or LOW"),
        (#"{"device_id":"d","value":1,"priority":"highest"}"#, "priority: expected HIGH, MEDIUM or LOW"),
        (#"{"device_id":"d","value":1,"priority":"hig"}"#, "priority: expected HIGH, MEDIUM or LOW"),
        (#"{"device_id":"d","value":1,"priority":""}"#, "priority: expected HIGH, MEDIUM or LOW"),
        (#"{"device_id":"d","value":1,"priority":1}"#, "priority: expected HIGH, MEDIUM or LOW"),
        (#"{"device_id":"d","value":1,"timestamp":"yesterday"}"#, "timestamp: expected an RFC 3339 date-time"),
        (
            #"{"device_id":"d","value":1,"timestamp":"2023-02-29T00:00:00Z"}"#,
            "timestamp: expected an RFC 3339 date-time"
        ),
        (#"{"device_id":"d","value":1,"timestamp":1700000000}"#, "timestamp: expected an RFC 3339 date-time"),
        (#"{"device_id":"d","value":1,"metadata":"x"}"#, "metadata: expected an object"),
        (#"{"device_id":"d","value":1,"metadata":[]}"#, "metadata: expected an object"),
        (
            #"{"device_id":"d","value":1,"metadata":{"location":null}}"#,
            "metadata.location: expected a string, number or boolean"
        ),
        (
            #"{"device_id":"d","value":1,"metadata":{"location":{}}}"#,
            "metadata.location: expected a string, number or boolean"
        ),
        (
            #"{"device_id":"d","value":1,"metadata":{"location":["a"]}}"#,
            "metadata.location: expected a string, number or boolean"
        ),
        (#"{"device_id":"d","value":1,"metadata":{"gain":1e999}}"#, "metadata.gain: expected a finite number"),
        // Unknown and duplicate fields.
        (#"{"device_id":"d","value":1,"colour":"red"}"#, "colour: unknown field"),
        (#"{"colour":"red","device_id":"d","value":1}"#, "colour: unknown field"),
        (#"{"device_id":"d","value":1,"col\u006fur":"red"}"#, "colour: unknown field"),
        (#"{"device_id":"d","value":1,"received_at":"x"}"#, "received_at: unknown field"),
        (#"{"device_id":"d","value":1,"Value":2}"#, "Value: unknown field"),
        (#"{"device_id":"d","value":1,"":2}"#, ": unknown field"),
        (#"{"device_id":"d","value":1,"\#(longName)":2}"#, "\(longNameInMessage): unknown field"),
        (#"{"value":1,"value":2,"device_id":"d"}"#, "value: duplicate field"),
        (#"{"device_id":"d","v\u0061lue":1,"value":2}"#, "value: duplicate field"),
        (#"{"device_id":"d","value":1,"unit":null,"unit":"C"}"#, "unit: duplicate field"),
        (#"{"device_id":"d","value":1,"metadata":{"a":1,"a":2}}"#, "metadata.a: duplicate field"),
        (#"{"device_id":"d","value":1,"metadata":{"a":1,"\u0061":true}}"#, "metadata.a: duplicate field"),
        // Inside an array, paths name the element.
        (#"[{"device_id":"d","value":1,"colour":1}]"#, "events[0].colour: unknown field"),
        (
            #"[{"device_id":"d","value":1},{"device_id":"d","value":1,"metadata":{"location":null}}]"#,
            "events[1].metadata.location: expected a string, number or boolean"
        ),
        (#"[{"device_id":"d","value":1},{"value":1}]"#, "events[1].device_id: required"),
        // Broken JSON is reported before what was wrong with a field earlier in the body.
        (#"{"colour":"red","device_id":"d"#, "body: invalid JSON at byte 30: unexpected end of input"),
        (#"[{"colour":1},{]"#, "body: invalid JSON at byte 15: unexpected ']'"),
        // Object and metadata make two levels, so 31 arrays inside metadata reach 33.
        (#"{"device_id":"d","value":1,"metadata":{"a":"# + nestedArrays(31) + "}}", "body: nesting deeper than 32"),
        (
            #"{"device_id":"d","value":1,"metadata":{"a":"# + nestedArrays(30) + "}}",
            "metadata.a: expected a string, number or boolean"
        ),
        (#"[{"x":1},"# + String(repeating: "[", count: 10), "body: invalid JSON at byte 19: unexpected end of input"),
        (#"[{"x":1},"# + String(repeating: "[", count: 40), "body: nesting deeper than 32"),
    ]

    /// Every refusal the HTTP contract lists comes back with its exact message.
    @Test(arguments: refusals)
    func refusesWithExactMessage(body: String, message: String) {
        #expect(refusal(body) == message)
    }

    /// Every stored object ends with the decoder's `received_at`.
    private static let receivedAtSuffix = #","received_at":"2026-11-30T06:37:24.123Z"}"#

    /// Bodies and their stored JSON, written without the common `received_at` ending.
    static let storedForms: [(body: String, dataBeforeReceivedAt: String)] = [
        (#"{"device_id":"d","value":1}"#, #"{"device_id":"d","value":1,"priority":"MEDIUM""#),
        (
            #"{"device_id":"d","value":1,"type":"t","unit":"u"}"#,
            #"{"device_id":"d","value":1,"type":"t","unit":"u","priority":"MEDIUM""#
        ),
        (#"{"device_id":"d","value":1,"type":null,"unit":null}"#, #"{"device_id":"d","value":1,"priority":"MEDIUM""#),
        (#"{"device_id":"d","priority":"low","value":1}"#, #"{"device_id":"d","priority":"LOW","value":1"#),
        (#"{"device_id":"d","priority":"Medium","value":1}"#, #"{"device_id":"d","priority":"MEDIUM","value":1"#),
        (#"{"priority":null,"device_id":"d","value":1}"#, #"{"device_id":"d","value":1,"priority":"MEDIUM""#),
        (
            #"{"device_id":"d","value":1,"timestamp":"2024-02-29T23:59:60.5+05:30"}"#,
            #"{"device_id":"d","value":1,"timestamp":"2024-02-29T23:59:60.5+05:30","priority":"MEDIUM""#
        ),
        (#"{"device_id":"d","value":1,"timestamp":null}"#, #"{"device_id":"d","value":1,"priority":"MEDIUM""#),
        (
            #"{"device_id":"d","value":1,"metadata":{}}"#,
            #"{"device_id":"d","value":1,"metadata":{},"priority":"MEDIUM""#
        ),
        (
            #"{"device_id":"d","value":1,"metadata":{"s":"x","n":-2.5e-3,"t":true,"f":false}}"#,
            #"{"device_id":"d","value":1,"metadata":{"s":"x","n":-2.5e-3,"t":true,"f":false},"priority":"MEDIUM""#
        ),
        (#"{"device_id":"d","value":1,"metadata":null}"#, #"{"device_id":"d","value":1,"priority":"MEDIUM""#),
        // Whitespace between tokens goes, whitespace inside strings stays.
        (
            "{\n\t\"device_id\" : \"a b\" ,\r\n \"metadata\" : { \"k 1\" : \"v , w\" , \"q\" : \"\\\" }\" } , "
                + "\"value\" : -1.5E+3 }",
            #"{"device_id":"a b","metadata":{"k 1":"v , w","q":"\" }"},"value":-1.5E+3,"priority":"MEDIUM""#
        ),
        (
            #"{"device_id":"d","value":1,"type":"a\"b\\c\/\n\u20AC"}"#,
            #"{"device_id":"d","value":1,"type":"a\"b\\c\/\n\u20AC","priority":"MEDIUM""#
        ),
        // A key written with escapes is still its field, and is stored as sent.
        (
            #"{"device_id":"d","value":1,"pri\u006frity":"h\u0069gh"}"#,
            #"{"device_id":"d","value":1,"pri\u006frity":"HIGH""#
        ),
        (TelemetryFixtures.sample, String(TelemetryFixtures.sample.dropLast())),
    ]

    /// Each optional field may be present, absent or null; null members are left out of the stored JSON.
    @Test(arguments: storedForms)
    func storesCompactJSON(body: String, dataBeforeReceivedAt: String) throws {
        let batch = try decodeGuarded(body).get()
        #expect(batch.events.count == 1)
        #expect(!batch.isArray)
        #expect(String(decoding: batch.events[0].data, as: UTF8.self) == dataBeforeReceivedAt + Self.receivedAtSuffix)
    }

    /// The spec's example: members in the order sent, lexemes as sent, null dropped, priority normalised.
    @Test func storesSpecExample() throws {
        let body = #"{ "value": 2.50, "device_id":"d\u00e9v", "priority":"high", "unit":null }"#
        let event = try decodeGuarded(body).get().events[0]
        let expected =
            #"{"value":2.50,"device_id":"d\u00e9v","priority":"HIGH","received_at":"2026-11-30T06:37:24.123Z"}"#
        #expect(String(decoding: event.data, as: UTF8.self) == expected)
        #expect(event.deviceID == Array("dév".utf8))
        #expect(event.priority == .high)
    }

    static let deviceIDs: [(lexeme: String, deviceID: String)] = [
        (#""d\u00e9v""#, "dév"),
        (#""dév""#, "dév"),
        (#""\ud834\udd1E-\u20ac""#, "𝄞-€"),
        (#""a\/b\\c\"d""#, #"a/b\c"d"#),
        ("\"\(String(repeating: "a", count: 128))\"", String(repeating: "a", count: 128)),
        ("\"\(String(repeating: "é", count: 64))\"", String(repeating: "é", count: 64)),
    ]

    /// The device ID handed to Redis is the unescaped UTF-8 value.
    @Test(arguments: deviceIDs)
    func unescapesDeviceID(lexeme: String, deviceID: String) throws {
        let batch = try decodeGuarded(#"{"device_id":\#(lexeme),"value":1}"#).get()
        #expect(batch.events[0].deviceID == Array(deviceID.utf8))
    }

    static let priorities: [(member: String, priority: TelemetryPriority)] = [
        (#""priority":"HIGH","#, .high),
        (#""priority":"high","#, .high),
        (#""priority":"hIgH","#, .high),
        (#""priority":"low","#, .low),
        (#""priority":"MEDIUM","#, .medium),
        (#""priority":null,"#, .medium),
        ("", .medium),
    ]

    /// Priority is case-insensitive and defaults to MEDIUM when absent or null.
    @Test(arguments: priorities)
    func readsPriority(member: String, priority: TelemetryPriority) throws {
        let batch = try decodeGuarded(#"{\#(member)"device_id":"d","value":1}"#).get()
        #expect(batch.events[0].priority == priority)
    }

    /// An array body keeps its events in order and is flagged as an array, even with one element.
    @Test func decodesArrayInOrder() throws {
        let one = try decodeGuarded(TelemetryFixtures.batch(1)).get()
        #expect(one.isArray)
        #expect(one.events.map(\.deviceID) == [Array("d0".utf8)])

        let body = " [ " + TelemetryFixtures.sample + " ,\n" + TelemetryFixtures.event("second") + " ] "
        let two = try decodeGuarded(body).get()
        #expect(two.events.map(\.deviceID) == [Array("sensor-17".utf8), Array("second".utf8)])
        #expect(two.events[0].priority == .medium)
    }

    /// A batch of exactly `maxBatch` events is accepted.
    @Test func acceptsFullBatch() throws {
        let batch = try decodeGuarded(TelemetryFixtures.batch(1000)).get()
        #expect(batch.events.count == 1000)
        #expect(batch.events[999].deviceID == Array("d999".utf8))
    }

    /// One more than `maxBatch` is refused with the real count, and that outranks a bad element inside it.
    @Test func refusesOversizedBatch() {
        #expect(refusal(TelemetryFixtures.batch(1001)) == "events: 1001 events exceed the maximum batch of 1000")
        #expect(refusal(TelemetryFixtures.batch(1500)) == "events: 1500 events exceed the maximum batch of 1000")
        let withBadElement = TelemetryFixtures.batch(1001) { $0 == 17 ? "{}" : TelemetryFixtures.event("d") }
        #expect(refusal(withBadElement) == "events: 1001 events exceed the maximum batch of 1000")
        let small = TelemetryLimits(maxBatch: 2)
        #expect(refusal(TelemetryFixtures.batch(3), limits: small) == "events: 3 events exceed the maximum batch of 2")
        #expect(refusal(TelemetryFixtures.batch(2), limits: small) == nil)
    }

    static let badEvents: [(badEvent: String, message: String)] = [
        (#"{"device_id":"d","value":"x"}"#, "events[17].value: expected a finite number"),
        (
            #"{"device_id":"d","value":1,"metadata":{"location":[]}}"#,
            "events[17].metadata.location: expected a string, number or boolean"
        ),
        (#"{"device_id":"","value":1}"#, "events[17].device_id: must be 1 to 128 bytes"),
        ("7", "events[17]: expected an object"),
    ]

    /// A batch is all or nothing: one bad event among valid ones refuses the request and names its index.
    @Test(arguments: badEvents)
    func refusesWholeBatchForOneBadEvent(badEvent: String, message: String) {
        let body = TelemetryFixtures.batch(40) { $0 == 17 ? badEvent : TelemetryFixtures.event("d\($0)") }
        #expect(refusal(body) == message)
    }

    /// Limits are taken from the decoder's configuration.
    @Test func honoursConfiguredLimits() {
        let limits = TelemetryLimits(maxBatch: 10, maxDepth: 2, maxDeviceIDBytes: 4)
        #expect(refusal(#"{"device_id":"abcd","value":1}"#, limits: limits) == nil)
        #expect(refusal(#"{"device_id":"abcde","value":1}"#, limits: limits) == "device_id: must be 1 to 4 bytes")
        #expect(refusal(#"{"device_id":"d","value":1,"metadata":{"a":1}}"#, limits: limits) == nil)
        let arrayOfEventsWithMetadata = #"[{"device_id":"d","value":1,"metadata":{}}]"#
        #expect(refusal(arrayOfEventsWithMetadata, limits: limits) == "body: nesting deeper than 2")
        #expect(
            refusal(#"[{"device_id":"d","value":1}]"#, limits: TelemetryLimits(maxDepth: 1))
                == "body: nesting deeper than 1")
    }

    /// received_at is copied from the caller, and each event of a batch gets it.
    @Test func appendsReceivedAt() throws {
        let decoder = TelemetryDecoder()
        let body = Array(TelemetryFixtures.batch(2).utf8)
        let batch = try body.withUnsafeBytes { bytes in
            try decoder.decode(bytes, receivedAt: Array("2000-01-01T00:00:00.000Z".utf8))
        }
        for event in batch.events {
            let data = String(decoding: event.data, as: UTF8.self)
            #expect(data.hasSuffix(#","received_at":"2000-01-01T00:00:00.000Z"}"#))
        }
    }
}
