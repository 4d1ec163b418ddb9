import Reactor
import Synchronization
import Testing

@testable import Gateway

/// `Admission`: the bound on events held without an answer, and the HIGH-priority reserve.
@Suite struct AdmissionTests {
    /// Requests are admitted while the shared part (capacity minus the reserve) has room; release makes room again.
    @Test func admitsUpToTheSharedPart() {
        let admission = Admission(capacity: 100, highPriorityShare: 0.1)
        #expect(admission.reserved == 10)
        #expect(admission.admit(events: 60, highPriority: false))
        #expect(admission.admit(events: 30, highPriority: false))
        #expect(!admission.admit(events: 1, highPriority: false))
        #expect(admission.pendingEvents == 90)
        admission.release(events: 30)
        #expect(admission.admit(events: 30, highPriority: false))
        #expect(admission.pendingEvents == 90)
    }

    /// Only all-HIGH requests may use the reserve, and not beyond the capacity; a refusal reserves nothing.
    @Test func reserveIsForHighPriorityOnly() {
        let admission = Admission(capacity: 100, highPriorityShare: 0.1)
        #expect(admission.admit(events: 90, highPriority: false))
        #expect(!admission.admit(events: 5, highPriority: false))
        #expect(admission.admit(events: 5, highPriority: true))
        #expect(admission.admit(events: 5, highPriority: true))
        #expect(!admission.admit(events: 1, highPriority: true))
        #expect(admission.pendingEvents == 100)
    }

    /// With nothing pending any request is admitted, even one larger than the capacity: slow rather than impossible.
    @Test func aloneIsAlwaysAdmitted() {
        let admission = Admission(capacity: 10, highPriorityShare: 0.1)
        #expect(admission.admit(events: 500, highPriority: false))
        #expect(!admission.admit(events: 1, highPriority: true))
        admission.release(events: 500)
        #expect(admission.pendingEvents == 0)
    }

    /// The reserve never takes the whole capacity, so ordinary requests always have at least one slot.
    @Test func reserveLeavesRoomForOthers() {
        #expect(Admission(capacity: 1, highPriorityShare: 0.5).reserved == 0)
        #expect(Admission(capacity: 10, highPriorityShare: 1).reserved == 9)
        #expect(Admission(capacity: 65_536, highPriorityShare: 0.1).reserved == 6_554)
    }

    /// Admits and releases racing on four threads never lose or invent a reservation, and the count never passes
    /// the capacity by more than one request in flight per thread.
    @Test func concurrentAdmitAndRelease() {
        let admission = Admission(capacity: 64, highPriorityShare: 0.1)
        let admitted = Atomic<Int>(0)
        let threads = (0..<4).map { _ in
            OSThread(name: "admission-test") {
                for index in 0..<20_000 {
                    let events = 1 + index % 4
                    guard admission.admit(events: events, highPriority: index % 3 == 0) else { continue }
                    admitted.add(1, ordering: .relaxed)
                    #expect(admission.pendingEvents <= 64 + 4 * 4)
                    admission.release(events: events)
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(admission.pendingEvents == 0)
        #expect(admitted.load(ordering: .relaxed) > 0)
    }
}
