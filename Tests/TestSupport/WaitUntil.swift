import Glibc

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. The bound is an upper limit for a
/// bug to fail the test instead of hanging it, never a performance claim.
public func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}
