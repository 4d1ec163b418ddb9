import Gateway
import TestSupport
import Testing

@Suite struct TelemetryPrescanTests {
    private static func scan(_ body: String) -> TelemetryPrescan.Result {
        withGuardedBytes(Array(body.utf8)) { TelemetryPrescan.scan($0) }
    }

    static let cases: [(body: String, eventCount: Int, allHigh: Bool)] = [
        // A single object is one event.
        (#"{"device_id":"d","value":1}"#, 1, false),
        (#"{"priority":"HIGH"}"#, 1, true),
        (#"{"priority":"high"}"#, 1, true),
        (#"{"priority":"HiGh"}"#, 1, true),
        (#" { "value" : 1 , "priority" : "high" } "#, 1, true),
        (#"{"priority":"low"}"#, 1, false),
        (#"{"priority":"h\u0069gh"}"#, 1, false),
        (#"{"pri\u006frity":"high"}"#, 1, false),
        (#"{"priority":["high"]}"#, 1, false),
        (#"{"priority":null}"#, 1, false),
        (#"{"type":"priority","unit":"high"}"#, 1, false),
        (#"{"metadata":{"priority":"high"}}"#, 1, false),
        (#"{"note":"\"priority\":\"high\""}"#, 1, false),
        // Arrays count their elements, whatever they are.
        ("[]", 0, false),
        (" [ \n ] ", 0, false),
        ("[1,2,3]", 3, false),
        (#"[{"priority":"high"}]"#, 1, true),
        (#"[{"priority":"high"},{"priority":"HIGH","value":2}]"#, 2, true),
        (#"[{"priority":"high"},{"priority":"low"}]"#, 2, false),
        (#"[{"priority":"high"},{}]"#, 2, false),
        (#"[{"priority":"high"},5]"#, 2, false),
        (#"[{"priority":"high"},"x"]"#, 2, false),
        (#"[{"priority":"high"},["priority","high"]]"#, 2, false),
        (#"[{"priority":"high","metadata":{"priority":"low","a":[1,2]}}]"#, 1, true),
        (#"[{"note":"a,b],{","priority":"high"}]"#, 1, true),
        (#"[{"note":"a\"],[\\","priority":"high"},{"priority":"high"}]"#, 2, true),
        (#"[{"a":[1,2,{"b":3}]},{"c":{"d":[4,5]}}]"#, 2, false),
    ]

    /// Counts top-level array elements outside strings and checks every event's own priority key.
    @Test(arguments: cases)
    func scansBody(body: String, eventCount: Int, allHigh: Bool) {
        #expect(Self.scan(body) == TelemetryPrescan.Result(eventCount: eventCount, allHigh: allHigh))
    }

    /// Bodies it cannot follow give one event that may not use the HIGH reserve.
    @Test(arguments: [
        "", "   ", "42", #""x""#, "null", #"[{"priority":"high"}"#, "[1,2", #"{"priority":"high""#,
        #"{"priority":"high"#, #"[{"priority":"high"}] x"#, "[1]]", #"{"a":"\"#, "}", "]",
    ])
    func fallsBackOnBodiesItCannotFollow(body: String) {
        #expect(Self.scan(body) == TelemetryPrescan.Result(eventCount: 1, allHigh: false))
    }

    /// A full batch is counted exactly, and one non-HIGH event anywhere clears allHigh.
    @Test func scansLargeBatches() {
        let high = #"{"device_id":"d","value":1,"priority":"high"}"#
        #expect(Self.scan(TelemetryFixtures.batch(1000) { _ in high }) == .init(eventCount: 1000, allHigh: true))
        let oneMedium = TelemetryFixtures.batch(1001) { $0 == 999 ? TelemetryFixtures.event("m") : high }
        #expect(Self.scan(oneMedium) == .init(eventCount: 1001, allHigh: false))
    }
}
