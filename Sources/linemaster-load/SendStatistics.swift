import Glibc

/// Counts what was sent, shows progress on a terminal, and prints the summary.
struct SendStatistics {
    let showProgress: Bool
    let total: Int
    private let start = monotonicSeconds()
    private var lastProgress = monotonicSeconds()
    private var lines = 0, datagrams = 0, bytes = 0
    private var failedLines = 0, failedDatagrams = 0

    init(showProgress: Bool, total: Int) {
        self.showProgress = showProgress
        self.total = total
    }

    mutating func record(lines count: Int, bytes size: Int, sent: Bool) {
        if sent {
            lines += count
            datagrams += 1
            bytes += size
        } else {
            failedLines += count
            failedDatagrams += 1
        }
        if showProgress, monotonicSeconds() - lastProgress >= 1 {
            lastProgress = monotonicSeconds()
            let done = lines + failedLines
            let percent = total > 0 ? done * 100 / total : 100
            let rate = Double(done) / (lastProgress - start)
            writeStderr("\rsent \(done) of \(total) lines (\(percent)%), \(Int(rate)) lines/s   ")
        }
    }

    func finish(destination: String, seqStart: Int64) {
        if showProgress { writeStderr("\r\u{1B}[K") }
        let seconds = max(monotonicSeconds() - start, 1e-9)
        print("sent \(lines) lines in \(datagrams) datagrams, \(bytes) bytes to \(destination) in \(fixed(seconds, 3)) s")
        print("rate: \(Int(Double(lines) / seconds)) lines/s, \(Int(Double(datagrams) / seconds)) datagrams/s, \(fixed(Double(bytes) / seconds / 1e6, 2)) MB/s")
        print("seq: \(seqStart) to \(seqStart + Int64(lines + failedLines) - 1)")
        if failedDatagrams > 0 {
            print("not sent (refused or no buffer): \(failedLines) lines in \(failedDatagrams) datagrams")
        }
    }
}

private func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int((x * scale).rounded())
    let fraction = String(n % Int(scale))
    return "\(n / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

private func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

extension HTTPTally {
    /// The summary of an `--http` run: "sent" counts the lines of requests answered 204 only.
    func printSummary(url: String, seqStart: Int64, lines: Int, seconds: Double) {
        let seconds = max(seconds, 1e-9)
        print("sent \(acknowledgedLines) lines in \(acknowledgedRequests) requests, \(acknowledgedBytes) bytes to \(url) in \(fixed(seconds, 3)) s")
        print("rate: \(Int(Double(acknowledgedLines) / seconds)) lines/s, \(Int(Double(acknowledgedRequests) / seconds)) requests/s, \(fixed(Double(acknowledgedBytes) / seconds / 1e6, 2)) MB/s")
        print("seq: \(seqStart) to \(seqStart + Int64(lines) - 1)")
        print("answers: " + (statuses.isEmpty ? "none" : statuses.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")))
        if !latencies.isEmpty {
            let sorted = latencies.sorted()
            func percentile(_ p: Int) -> String { fixed(sorted[(sorted.count * p + 99) / 100 - 1] * 1000, 2) }
            print("latency: p50 \(percentile(50)) ms, p99 \(percentile(99)) ms, max \(fixed(sorted.last! * 1000, 2)) ms over \(sorted.count) answers")
        }
        if retries > 0 { print("retried: \(retries) times after 503 or 429 with Retry-After") }
        if unacknowledgedRequests > 0 {
            print("not acknowledged (no 204): \(unacknowledgedLines) lines in \(unacknowledgedRequests) requests")
        }
        if let firstFailure { print("no answer: \(noAnswers) times, first: \(firstFailure)") }
    }
}
