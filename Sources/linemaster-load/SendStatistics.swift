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
