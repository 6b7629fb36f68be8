import LineProtocol

/// Logs rejected lines without flooding the log: the first rejection at once, with its message,
/// then at most one summary per interval with a count and a sample.
struct RejectLog {
    let interval: Duration
    private var lastReport: ContinuousClock.Instant?
    private var pending = 0
    private var sample: String?

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Notes one rejected line; returns a log line when one is due.
    mutating func note(_ problem: @autoclosure () -> String, now: ContinuousClock.Instant) -> String? {
        pending += 1
        if let lastReport, now - lastReport < interval {
            if sample == nil { sample = problem() }
            return nil
        }
        return report(sample: problem(), now: now)
    }

    /// The summary of what was held back, when the interval has passed.
    mutating func flush(now: ContinuousClock.Instant) -> String? {
        guard pending > 0, let lastReport, now - lastReport >= interval else { return nil }
        return report(sample: sample ?? "", now: now)
    }

    private mutating func report(sample: String, now: ContinuousClock.Instant) -> String {
        defer {
            pending = 0
            self.sample = nil
            lastReport = now
        }
        return pending == 1 ? "rejected \(sample)" : "rejected \(pending) lines in the last \(interval); for example \(sample)"
    }
}
