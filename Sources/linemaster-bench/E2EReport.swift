import Glibc

/// The Markdown report of an `e2e` run: the table of ratios to paste into the README, the
/// setting of the run, and the details that show where rows were lost and what they cost.
struct E2EReport {
    let results: [CaseResult]
    let ceiling: Ceiling
    let command: String
    let commit: String?
    let notes: [String]
    let udpReceiveBufferErrors: Int

    func print() {
        Swift.print("""

            ### Ingest benchmark (\(utcDate())\(commit.map { ", commit \($0)" } ?? ""))

            `\(command)`

            Ceiling: server-side `COPY cpu FROM 'file'` of the same \(ceiling.rows) rows (text format, \(ceiling.fileBytes >> 20) MiB, \(ceiling.storedRows) rows) in one session, run before the first case and after every case: \(ceiling.runs.map(String.init).joined(separator: " ")) rows/s (best **\(ceiling.best)**). Each case's ratio is to the mean of the COPY just before and just after it, since this machine's speed drifts during a run; its ratio to the best COPY of the run is given too. For comparison, two sessions each COPYing half of the file at once (as linemaster's two inserters do): \(ceiling.parallel) rows/s.

            | system | case | lines sent | rows stored | % stored | stored rows/s | COPY around it, rows/s | ratio to COPY | ratio to best COPY |
            |---|---|---:|---:|---:|---:|---:|---:|---:|
            """)
        for r in results {
            row([r.system, r.bench.label, String(r.load.sent), String(r.stored), twoDecimals(r.percentStored) + "%",
                 String(Int(r.storedPerSecond)), String(r.ceiling), ratio(r.storedPerSecond, r.ceiling), ratio(r.storedPerSecond, ceiling.best)])
        }
        Swift.print("")
        for note in notes { Swift.print("- " + note) }
        Swift.print("""
            - stored rows/s = rows stored / (first line sent .. stored: for linemaster the ring drained and every row committed, polled every 20 ms; for InfluxDB every request answered 204)
            - ceiling rows check: \(rowsCheck)

            Where the lines went, and what each row cost (kernel drops: datagrams the kernel dropped on the listeners' sockets because their receive buffers were full, from /proc/net/udp; machine-wide Udp RcvbufErrors during the whole run, including other programs: \(udpReceiveBufferErrors); CPU in seconds during the case; latency per HTTP request, from its first byte written to its answer read):

            | system | case | load achieved lines/s | not sent | kernel drops (datagrams) | accepted into ring | ring drops | duplicates | rows/batch | seconds | CPU µs/row: listeners (CPU s of listener 1, 2) | inserters | PostgreSQL backends | load generator | HTTP latency; answers | drained |
            |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|
            """)
        for r in results { details(r) }
    }

    private func details(_ r: CaseResult) {
        func perRow(_ seconds: Double) -> String { r.stored > 0 ? oneDecimal(1e6 * seconds / Double(r.stored)) : "-" }
        let dash = "-"
        let listeners = r.cpu.map { perRow($0.listeners.reduce(0, +)) + " (" + $0.listeners.map(twoDecimals).joined(separator: " ") + ")" }
        row([r.system, r.bench.label, r.load.achievedRate.map(String.init) ?? "?", String(r.load.notSent),
             r.kernelDrops.map(String.init) ?? dash, r.accepted.map(String.init) ?? dash, r.ringDrops.map(String.init) ?? dash,
             String(r.stored - r.distinct), r.rowsPerBatch.map(String.init) ?? dash, twoDecimals(r.seconds),
             listeners ?? dash, r.cpu.map { perRow($0.inserters) } ?? dash, r.cpu.map { perRow($0.backends) } ?? dash,
             perRow(r.load.cpuSeconds), [r.load.latency, r.load.answers.map { "answers \($0)" }].compactMap { $0 }.joined(separator: "; ").nonEmpty ?? dash, r.drained ? "yes" : "NO"])
    }

    private var rowsCheck: String {
        let checked = results.filter { $0.differing != nil }
        guard !checked.isEmpty else { return "(no case checked its rows)" }
        let differing = checked.filter { $0.differing != 0 }
        guard !differing.isEmpty else { return "every stored row of the \(checked.count) cases checked (full speed, HTTP) equals the ceiling's formulas" }
        return differing.map { "\($0.differing!) of \($0.stored) stored rows differ from the ceiling's formulas (\($0.system), \($0.bench.label))" }
            .joined(separator: "; ")
    }

    private func row(_ cells: [String]) { Swift.print("| " + cells.joined(separator: " | ") + " |") }

    private func ratio(_ rate: Double, _ ceiling: Int) -> String { ceiling > 0 ? twoDecimals(rate / Double(ceiling)) : "-" }

    private func oneDecimal(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    private func utcDate() -> String {
        var now = time(nil)
        var t = tm()
        gmtime_r(&now, &t)
        func two(_ x: Int32) -> String { x < 10 ? "0\(x)" : "\(x)" }
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday)) \(two(t.tm_hour)):\(two(t.tm_min)) UTC"
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
