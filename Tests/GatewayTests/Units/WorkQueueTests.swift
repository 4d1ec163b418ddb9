import Glibc
import Reactor
import Synchronization
import Testing

@testable import Gateway

/// `WorkQueue`: the reactor-to-consumers hand-off, with real threads and no sockets.
@Suite struct WorkQueueTests {
    /// One consumer takes jobs in the order pushed, at most `limit` per call.
    @Test func popsInOrderUpToTheLimit() {
        let queue = WorkQueue<Int>()
        queue.push(contentsOf: Array(0..<10))
        queue.push(contentsOf: [])
        var batch: [Int] = []
        #expect(queue.popBatch(limit: 4, into: &batch))
        #expect(batch == [0, 1, 2, 3])
        #expect(queue.popBatch(limit: 100, into: &batch))
        #expect(batch == Array(0..<10))
    }

    /// Closing lets the consumers finish what is queued; after that `popBatch` returns false at once.
    @Test func closeDrainsThenStops() {
        let queue = WorkQueue<Int>()
        queue.push(contentsOf: [1, 2, 3])
        queue.close()
        var batch: [Int] = []
        #expect(queue.popBatch(limit: 2, into: &batch))
        #expect(queue.popBatch(limit: 2, into: &batch))
        #expect(batch == [1, 2, 3])
        #expect(!queue.popBatch(limit: 2, into: &batch))
        #expect(batch == [1, 2, 3])
    }

    /// Consumers asleep in `popBatch` are woken by `close` and return false.
    @Test func closeWakesSleepingConsumers() {
        let queue = WorkQueue<Int>()
        let finished = Atomic<Int>(0)
        let consumers = (0..<3).map { _ in
            OSThread(name: "queue-test") {
                var batch: [Int] = []
                while queue.popBatch(limit: 8, into: &batch) {}
                finished.add(1, ordering: .relaxed)
            }
        }
        usleep(20_000)
        #expect(finished.load(ordering: .relaxed) == 0)
        queue.close()
        for consumer in consumers { consumer.join() }
        #expect(finished.load(ordering: .relaxed) == 3)
    }

    /// With several consumers sleeping and pushes arriving in batches, every job is taken exactly once, and each
    /// consumer sees its own jobs in push order.
    @Test func multipleConsumersTakeEachJobOnce() {
        let queue = WorkQueue<Int>()
        let taken = Mutex<[[Int]]>([])
        let consumers = (0..<4).map { _ in
            OSThread(name: "queue-test") {
                var mine: [Int] = []
                var batch: [Int] = []
                while queue.popBatch(limit: 16, into: &batch) {
                    mine += batch
                    batch.removeAll(keepingCapacity: true)
                }
                taken.withLock { $0.append(mine) }
            }
        }
        let total = 50_000
        var next = 0
        while next < total {
            let count = min(1 + next % 97, total - next)
            queue.push(contentsOf: Array(next..<(next + count)))
            next += count
            if next % 5 == 0 { sched_yield() }
        }
        queue.close()
        for consumer in consumers { consumer.join() }
        let perConsumer = taken.withLock { $0 }
        #expect(perConsumer.count == 4)
        #expect(perConsumer.flatMap { $0 }.sorted() == Array(0..<total))
        for jobs in perConsumer {
            #expect(zip(jobs, jobs.dropFirst()).allSatisfy { $0 < $1 })
        }
    }
}
