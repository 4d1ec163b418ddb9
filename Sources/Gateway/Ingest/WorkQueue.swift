import Glibc

/// The hand-off from the reactor to the consumer threads: a FIFO behind a pthread mutex and condition variable.
///
/// The reactor never blocks on it: `push` takes the lock only long enough to append (admission control has already
/// bounded how much can be queued), and signals only when a consumer is asleep. Consumers block in `popBatch`,
/// taking up to a batch of jobs per lock hold. A dedicated mutex/condvar pair rather than a Dispatch queue keeps
/// the consumers on threads we own, so slow work can never starve libdispatch's shared pool.
final class WorkQueue<Job>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var jobs: [Job] = []
    private var head = 0
    private var sleepingConsumers = 0
    private var closed = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Appends jobs in one lock hold and wakes as many sleeping consumers as there are new jobs.
    func push(contentsOf newJobs: [Job]) {
        guard !newJobs.isEmpty else { return }
        pthread_mutex_lock(mutex)
        jobs.append(contentsOf: newJobs)
        let wake = min(sleepingConsumers, newJobs.count)
        if wake == sleepingConsumers && wake > 1 {
            pthread_cond_broadcast(condition)
        } else {
            for _ in 0..<wake { pthread_cond_signal(condition) }
        }
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until jobs are available, then moves up to `limit` of them into `batch`. Returns false once the queue
    /// is closed and empty: the consumer should exit.
    func popBatch(limit: Int, into batch: inout [Job]) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == jobs.count {
            if closed { return false }
            sleepingConsumers += 1
            pthread_cond_wait(condition, mutex)
            sleepingConsumers -= 1
        }
        let end = min(jobs.count, head + limit)
        batch.append(contentsOf: jobs[head..<end])
        head = end
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: jobs.capacity <= 4096)
            head = 0
        } else if head >= 1024 && head * 2 >= jobs.count {
            jobs.removeSubrange(0..<head)
            head = 0
        }
        return true
    }

    /// Consumers finish what is queued and then see `popBatch` return false.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return jobs.count - head
    }
}
