import Glibc

/// The Markdown report of an `e2e` run: the table of ratios to paste into the README, the
/// setting of the run, and the details that show where rows were lost and what they cost.
struct E2EReport {
    let results: [CaseResult]
    /// One per table definition the cases used.
    let ceilings: [Ceiling]
    let command: String
    let commit: String?
    let notes: [String]
    let udpReceiveBufferErrors: Int

    func print() {
        Swift.print("""

            ### Ingest benchmark (\(utcDate())\(commit.map { ", commit \($0)" } ?? ""))

            `\(command)`

            Ceiling: server-side `COPY cpu FROM 'file'` of the same rows (text format) in one session, into a fresh table of the case's definition, run before and after every case: \(ceilings.map(ceilingText).joined(separator: "; ")). Each case's ratio is to the mean of the COPY into its table just before and just after it, since this machine's speed drifts during a run; its ratio to the best COPY of that table in the run is given too. For comparison, two sessions each COPYing half of the file at once (as linemaster's two inserters do): \(ceilings.map { "\($0.table) \($0.parallel) rows/s" }.joined(separator: ", ")).

            | system | case | lines sent | rows stored | % stored | stored rows/s | COPY around it, rows/s | ratio to COPY | ratio to best COPY |
            |---|---|---:|---:|---:|---:|---:|---:|---:|
            """)
        for r in results {
            row([r.system, r.bench.label, String(r.load.sent), String(r.stored), twoDecimals(r.percentStored) + "%",
                 String(Int(r.storedPerSecond)), String(r.ceiling), ratio(r.storedPerSecond, r.ceiling),
                 ratio(r.storedPerSecond, ceilings.first { $0.table == r.bench.table }?.best ?? 0)])
        }
        Swift.print("")
        printTypedTables()
        for note in notes { Swift.print("- " + note) }
        Swift.print("""
            - stored rows/s = rows stored / (first line sent .. stored: for linemaster the ring drained and every row committed, polled every 20 ms; for InfluxDB every request answered 204)
            - ceiling rows check: \(rowsCheck)
            - tables: \(tablesCheck)

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

    private func ceilingText(_ c: Ceiling) -> String {
        "\(c.table) table (`\(c.table.definition)`; \(c.rows) rows, \(c.fileBytes >> 20) MiB, \(c.storedRows) stored) \(c.runs.map(String.init).joined(separator: " ")) rows/s (best **\(c.best)**)"
    }

    /// The typed cases against issue 12's targets: stored rows/s at least 0.7 of the COPY into the
    /// same typed table, and the cost of a new column every N rows against the same rows without.
    private func printTypedTables() {
        let typed = results.filter { $0.bench.name == "typed" }, grown = results.filter { $0.bench.newFieldEvery != nil }
        guard !typed.isEmpty || !grown.isEmpty else { return }
        Swift.print("Typed tables (`create_tables = \"columns\"`, the table made by linemaster):\n")
        for r in typed {
            let met = r.storedPerSecond >= 0.7 * Double(r.ceiling) ? "met" : "NOT met"
            Swift.print("- \(r.bench.label): \(Int(r.storedPerSecond)) rows/s stored = **\(ratio(r.storedPerSecond, r.ceiling))** of the COPY into the same typed table around it (\(r.ceiling) rows/s); target >= 0.7: \(met)")
        }
        let typedRate = typed.isEmpty ? 0 : typed.map(\.storedPerSecond).reduce(0, +) / Double(typed.count)
        for r in grown {
            let against = typed.isEmpty ? "no typed case in this run to compare with"
                : "**\(twoDecimals(r.storedPerSecond / typedRate))** of typed's \(Int(typedRate)) rows/s in this run" + (typed.count > 1 ? " (the mean of its \(typed.count) runs)" : "")
            Swift.print("- \(r.bench.label): \(Int(r.storedPerSecond)) rows/s stored = \(against); \(r.growth?.summary ?? "new fields not checked")")
        }
        Swift.print("")
    }

    /// Whether each linemaster case's table has the definition of its ceiling's table.
    private var tablesCheck: String {
        let made = results.filter { $0.tableDefinition != nil }
        guard !made.isEmpty else { return "(no linemaster case)" }
        let differing = made.filter { $0.tableDefinition != $0.bench.table.definition }
        guard !differing.isEmpty else {
            return "the table linemaster made in each of the \(made.count) linemaster cases has the definition of its ceiling's table"
                + (made.contains { $0.growth != nil } ? " (besides the new fields' columns)" : "")
        }
        return differing.map { "\($0.bench.label): linemaster made `\($0.tableDefinition!)`, the ceiling's is `\($0.bench.table.definition)`" }
            .joined(separator: "; ")
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
