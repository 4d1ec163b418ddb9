/// How long a `RedisConnection` waits before trying again after a failed attempt or a lost link: exponential
/// back-off with "equal jitter" (half the delay fixed, half random).
///
/// Doubling keeps a Redis that is down or restarting from being hammered by every gateway at once, while the first
/// retries stay quick for the common case of a blip. The random half spreads a fleet of gateways that lost the same
/// Redis at the same instant, so they do not all reconnect in lock-step; the fixed half keeps one gateway from
/// retrying at once by chance.
struct ReconnectPolicy {
    /// The delay ceiling after the first failure; it doubles with each consecutive failure.
    var baseDelay: Duration
    /// The ceiling the doubling stops at: how long an outage can go unnoticed after Redis is back.
    var maxDelay: Duration
    /// A number in 0...1 for the random half of each delay. Tests inject a fixed one.
    var jitter: () -> Double

    /// Doublings after which the ceiling is `maxDelay` anyway; caps the shift so that a long outage (thousands of
    /// failures) cannot overflow `1 << failures`. 2^20 × the smallest sensible base (1 ms) is already 17 minutes.
    static let maxDoublings = 20

    init(baseDelay: Duration, maxDelay: Duration, jitter: @escaping () -> Double = { Double.random(in: 0...1) }) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The wait before the next attempt, after `consecutiveFailures` failed attempts in a row (0 for the first).
    func delay(afterFailures consecutiveFailures: Int) -> Duration {
        let base = Double(baseDelay.nanosecondsClamped)
        let cap = Double(maxDelay.nanosecondsClamped)
        let ceiling = min(cap, base * Double(1 << min(consecutiveFailures, Self.maxDoublings)))
        let random = min(max(jitter(), 0), 1)
        return .nanoseconds(Int64(ceiling / 2 + ceiling / 2 * random))
    }
}
