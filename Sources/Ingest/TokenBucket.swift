/// A token bucket: ``take(_:now:)`` succeeds while tokens are left; they come back at ``rate``
/// per second, up to ``burst``. The clock is the caller's, so that a test can move it.
public struct TokenBucket: Sendable {
    /// Tokens added per second.
    public let rate: Double
    /// The most tokens the bucket holds, and what it starts with.
    public let burst: Double
    private var tokens: Double
    private var filledAt: ContinuousClock.Instant?

    public init(rate: Double, burst: Double) {
        precondition(rate > 0 && burst >= 1, "a token bucket needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        tokens = burst
    }

    /// Takes `cost` tokens if the bucket holds them at `now`; false (taking none) otherwise.
    public mutating func take(_ cost: Double = 1, now: ContinuousClock.Instant) -> Bool {
        if let filledAt {
            let elapsed = now - filledAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + max(0, seconds) * rate)
        }
        filledAt = now
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }
}
