import Testing

@testable import Gateway

/// A compressed body is admitted as one event on the reactor; the consumer settles the reservation on the decoded
/// count before anything reaches Redis.
@Suite struct AdmissionSettleTests {
    private func batch(_ count: Int, priority: TelemetryPriority = .medium) -> TelemetryBatch {
        TelemetryBatch(
            events: (0..<count).map { _ in TelemetryEvent(deviceID: [0x61], priority: priority, data: []) },
            isArray: true)
    }

    /// Extra events are reserved when they fit, and the estimate's surplus is released.
    @Test func reservesTheDifference() {
        let admission = Admission(capacity: 100, highPriorityShare: 0.1)
        #expect(admission.admit(events: 1, highPriority: false))
        #expect(admission.settle(admitted: 1, decoded: batch(40)) == 40)
        #expect(admission.pendingEvents == 40)
        #expect(admission.admit(events: 10, highPriority: false))
        #expect(admission.settle(admitted: 10, decoded: batch(3)) == 3)
        #expect(admission.pendingEvents == 43)
    }

    /// Past the shared part only an all-HIGH batch may use the reserve; a refusal leaves the original reservation.
    @Test func refusesWhatDoesNotFit() {
        let admission = Admission(capacity: 100, highPriorityShare: 0.1)
        #expect(admission.admit(events: 80, highPriority: false))
        #expect(admission.admit(events: 1, highPriority: false))
        #expect(admission.settle(admitted: 1, decoded: batch(15)) == nil)
        #expect(admission.pendingEvents == 81)
        #expect(admission.settle(admitted: 1, decoded: batch(15, priority: .high)) == 15)
        #expect(admission.pendingEvents == 95)
    }

    /// A request alone in the gateway is always admitted, as by `admit`.
    @Test func aloneIsAlwaysAdmitted() {
        let admission = Admission(capacity: 10, highPriorityShare: 0.1)
        #expect(admission.admit(events: 1, highPriority: false))
        #expect(admission.settle(admitted: 1, decoded: batch(500)) == 500)
    }
}
