import Foundation
import TestSupport
import Testing

/// Where requests are processed (inline on the reactor or on a consumer) and the metrics that make waits visible.
@Suite struct GatewayStallMetricsTests {
    /// Small bodies are processed on the reactor thread, big ones on a consumer thread; both are stored and both
    /// paths show in the metrics, along with the loop's lag probe, tick durations and Redis's round trip.
    @Test func smallRequestsInlineBigOnesOnConsumers() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        for index in 0..<5 {
            #expect(try client.postJSON("/telemetry", Payload.event("inline-\(index)")).status == 200)
        }
        // 100 events are ~5 KB, over the 4 KiB inline limit.
        let batch = try client.postJSON("/telemetry", Payload.batch(100))
        #expect(batch.status == 200)
        #expect(batch.json["accepted"] as? Int == 100)
        #expect(try fixture.storedCount() == 105)

        // The lag probe fires every 100 ms.
        Thread.sleep(forTimeInterval: 0.35)
        let text = try client.request("GET", "/metrics").bodyText
        #expect(Self.value(text, "gateway_requests_inline_total") == 5)
        #expect(Self.value(text, "gateway_handoff_wait_seconds_count") == 1)
        #expect(Self.value(text, "gateway_consumer_to_reactor_wait_seconds_count") == 1)
        #expect((Self.value(text, "gateway_redis_round_trip_seconds_count") ?? 0) >= 6)
        #expect((Self.value(text, "gateway_event_loop_lag_seconds_count") ?? 0) >= 2)
        #expect((Self.value(text, "gateway_event_loop_tick_seconds_count") ?? 0) >= 6)
        #expect((Self.value(text, "gateway_request_receive_seconds_count") ?? 0) >= 6)
        // Nothing stalled: every lag observation is under 100 ms.
        #expect(
            Self.value(text, "gateway_event_loop_lag_seconds_bucket{le=\"0.1\"}")
                == Self.value(text, "gateway_event_loop_lag_seconds_count"))
    }

    /// A reactor that cannot run (SIGSTOP for 300 ms) shows up as event-loop lag and a warning line.
    @Test func aStoppedReactorShowsAsLagAndAWarning() throws {
        let fixture = try GatewayFixture()
        let client = try fixture.client()
        #expect(try client.postJSON("/telemetry", Payload.event()).status == 200)
        fixture.gateway.process.signal(SIGSTOP)
        Thread.sleep(forTimeInterval: 0.3)
        fixture.gateway.process.signal(SIGCONT)
        Thread.sleep(forTimeInterval: 0.25)
        let text = try client.request("GET", "/metrics").bodyText
        let count = Self.value(text, "gateway_event_loop_lag_seconds_count") ?? 0
        let under100ms = Self.value(text, "gateway_event_loop_lag_seconds_bucket{le=\"0.1\"}") ?? 0
        #expect(count > under100ms, "the stop must show as a probe over 100 ms late")
        #expect(waitUntil(timeout: .seconds(5)) { fixture.gateway.process.log.contains("event loop ran late") })
    }

    /// The value of the first sample line that starts with `name` followed by a space.
    static func value(_ text: String, _ name: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.dropFirst(name.count + 1)) ?? -1)
        }
        return nil
    }
}
