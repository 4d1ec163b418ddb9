import Testing

@testable import Reactor

@Suite struct FIFOTests {
    @Test func keepsOrderAcrossAppendsAndPops() {
        var queue = FIFO<Int>()
        #expect(queue.isEmpty && queue.first == nil && queue.popFirst() == nil)
        queue.append(1)
        queue.append(contentsOf: [2, 3])
        #expect(queue.count == 3 && queue.first == 1)
        #expect(queue.popFirst() == 1)
        queue.append(4)
        var popped: [Int] = []
        queue.drain { popped.append($0) }
        #expect(popped == [2, 3, 4] && queue.isEmpty)
    }

    @Test func popsBatchesUpToALimit() {
        var queue = FIFO<Int>()
        queue.append(contentsOf: 0..<10)
        var batch: [Int] = []
        queue.popFirst(upTo: 4, into: &batch)
        #expect(batch == [0, 1, 2, 3] && queue.count == 6)
        queue.popFirst(upTo: 100, into: &batch)
        #expect(batch == Array(0..<10) && queue.isEmpty)
        queue.popFirst(upTo: 4, into: &batch)
        #expect(batch.count == 10)
    }

    /// A queue that never empties (a busy pipeline) must still drop what it consumed, in order.
    @Test func compactsAQueueThatNeverEmpties() {
        var queue = FIFO<Int>()
        var next = 0
        var expected = 0
        for _ in 0..<10_000 {
            queue.append(next)
            queue.append(next + 1)
            next += 2
            #expect(queue.popFirst() == expected)
            expected += 1
        }
        #expect(queue.count == 10_000)
        var rest: [Int] = []
        queue.drain { rest.append($0) }
        #expect(rest == Array(expected..<next))
    }
}
