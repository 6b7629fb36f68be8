import Metrics
import SharedRing

/// `linemaster status --watch`: the status again every interval, with the rows per second that
/// came in at each receiver and were stored by each inserter since the block before.
public struct StatusWatch {
    private var previous: (counts: [String: UInt64], at: ContinuousClock.Instant)?

    public init() {}

    /// The block for `report`, read at `now`: the status text, then the rates (none in the first).
    public mutating func block(_ report: StatusReport, at now: ContinuousClock.Instant) -> String {
        let counts = Self.counts(report.snapshot)
        defer { previous = (counts, now) }
        guard let previous, now > previous.at else { return report.text() + "\n\nrates: from the next block on" }
        let seconds = (now - previous.at).seconds
        var lines = [report.text(), "", "rates over \((seconds * 10).rounded() / 10) s:"]
        for w in report.workers {
            guard let count = counts[w.name], let before = previous.counts[w.name] else { continue }
            let what = MetricsSnapshot.role(of: w) == .inserter ? "stored" : "in"
            lines.append("  \(w.name): \(Int((Double(count - min(count, before)) / seconds).rounded())) rows/s \(what)")
        }
        return lines.joined(separator: "\n")
    }

    /// Lines received by each receiver and rows stored by each inserter, by worker name.
    private static func counts(_ snapshot: MetricsSnapshot) -> [String: UInt64] {
        var counts: [String: UInt64] = [:]
        for w in snapshot.workers {
            guard let c = snapshot.counters(of: w) else { continue }
            switch MetricsSnapshot.role(of: w) {
            case .receiver: counts[w.name] = c[.rowsParsed] + c[.linesRejected]
            case .inserter: counts[w.name] = c[.rowsInserted]
            case .other: break
            }
        }
        return counts
    }
}
