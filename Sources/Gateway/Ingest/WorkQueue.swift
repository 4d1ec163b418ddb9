import Glibc
import Reactor

/// The hand-off from the reactor to the consumer threads: a FIFO behind a pthread mutex and condition variable.
///
/// The reactor never blocks on it: `push` takes the lock only long enough to append (admission control has already
/// bounded how much can be queued), and signals only when a consumer is asleep. Consumers block in `popBatch`,
/// taking up to a batch of jobs per lock hold. A dedicated mutex/condvar pair rather than a Dispatch queue keeps
/// the consumers on threads we own, so slow work can never starve libdispatch's shared pool.
///
/// Why `@unchecked Sendable` is sound: the mutable state (`jobs`, `sleepingConsumers`, `closed`) is read and written
/// only between `pthread_mutex_lock(mutex)` and `pthread_mutex_unlock(mutex)`, and the two pointers are set once in
/// `init` and freed in `deinit`, when no thread can hold the queue.
final class WorkQueue<Job>: @unchecked Sendable {
    /// Job slots kept when the queue empties: far more than a steady load needs (jobs are taken within a tick or two),
    /// while the storage grown by a burst (up to `--queue-size` jobs, megabytes) is freed once the burst is over.
    static var retainedCapacity: Int { 4096 }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var jobs = FIFO<Job>()
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
        while jobs.isEmpty {
            if closed { return false }
            sleepingConsumers += 1
            pthread_cond_wait(condition, mutex)
            sleepingConsumers -= 1
        }
        jobs.popFirst(upTo: limit, into: &batch)
        if jobs.isEmpty && jobs.capacity > Self.retainedCapacity { jobs = FIFO() }
        return true
    }

    /// Jobs queued and not yet taken (the spool thread reads it to decide whether a group commit is worth a wait).
    var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return jobs.count
    }

    /// Consumers finish what is queued and then see `popBatch` return false.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
