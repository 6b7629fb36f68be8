/// Logs rejected lines without flooding the log: the first rejection at once, with its reason,
/// then at most one summary per interval with counts and a sample.
struct RejectLog {
    let interval: Duration
    private var lastReport: ContinuousClock.Instant?
    private var kept = 0
    private var notKept = 0
    private var sample: String?

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Notes one rejected line, and whether it was kept; returns a log line when one is due.
    mutating func note(_ problem: @autoclosure () -> String, kept wasKept: Bool, now: ContinuousClock.Instant) -> String? {
        if wasKept { kept += 1 } else { notKept += 1 }
        if let lastReport, now - lastReport < interval {
            if sample == nil { sample = problem() }
            return nil
        }
        return report(sample: problem(), now: now)
    }

    /// The summary of what was held back, when the interval has passed.
    mutating func flush(now: ContinuousClock.Instant) -> String? {
        guard kept + notKept > 0, let lastReport, now - lastReport >= interval else { return nil }
        return report(sample: sample ?? "", now: now)
    }

    private mutating func report(sample: String, now: ContinuousClock.Instant) -> String {
        defer {
            kept = 0
            notKept = 0
            self.sample = nil
            lastReport = now
        }
        if kept + notKept == 1 {
            return "rejected \(sample); " + (kept == 1 ? "kept in linemaster_rejects" : "not kept (\(RejectKeeper.limitText))")
        }
        return "rejected \(kept + notKept) lines in the last \(interval), \(kept) kept in linemaster_rejects, "
            + "\(notKept) not kept (\(RejectKeeper.limitText)); for example \(sample)"
    }
}
