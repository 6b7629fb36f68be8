import Glibc

/// Holds the send rate to a target by sleeping until each datagram is due (never spinning).
/// Datagrams go out in bursts: a sleep shorter than a millisecond is skipped and made up later.
struct Pacer {
    private let linesPerSecond: Double
    private let start = monotonicSeconds()
    private var linesScheduled = 0

    init(linesPerSecond: Double) {
        self.linesPerSecond = linesPerSecond
    }

    /// Sleeps until `lines` more lines may be sent; returns at once when there is no target rate.
    mutating func wait(beforeSending lines: Int) {
        guard linesPerSecond > 0 else { return }
        let due = start + Double(linesScheduled) / linesPerSecond
        linesScheduled += lines
        let ahead = due - monotonicSeconds()
        guard ahead >= 0.001 else { return }
        sleepSeconds(ahead)
    }
}
