/// One case against linemaster: a pipeline of its own, the load, the wait until the ring is
/// drained, and the counts from PostgreSQL, the ring, the kernel and /proc.
struct LinemasterCase {
    let bench: BenchCase
    let number: Int
    let seqStart: Int
    let settings: PipelineSettings
    /// Where the HTTP cases send (`.../write`): the HTTP worker of `settings.extraConfig`.
    let httpURL: String?
    let psql: Psql
    let ceiling: Ceiling

    /// Seconds a case may take to drain after its last line was sent.
    static let drainSeconds = 90.0

    func run() throws -> CaseResult {
        let pipeline = try Pipeline(number: number, table: bench.table, settings: settings, psql: psql)
        defer {
            pipeline.stop()
            try? psql.run("DROP SCHEMA \(quotedIdentifier(pipeline.schema)) CASCADE")
        }
        try pipeline.warmUp(psql: psql)
        let destination = bench.workload.isHTTP ? httpURL! : "127.0.0.1:\(pipeline.udpPort)"
        let workers = pipeline.status()?.workers ?? []
        let backends = try psql.query("""
            SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """).split(separator: " ").compactMap { Int($0) }
        let cpuBefore = cpuUse(workers: workers, backends: backends)
        let rowsInBefore = pipeline.ring!.counters.rowsIn, droppedBefore = pipeline.ring!.counters.rowsDropped

        say("== linemaster: \(bench.label), \(bench.lines) lines, seq from \(seqStart), \(destination), --batch-rows \(settings.batchRows)")
        let start = Machine.now
        let load = try LoadRun(bin: settings.bin, arguments: LoadRun.arguments(for: bench, destination: destination, seqStart: seqStart, series: CaseTable.series))
        let drainedAt = pipeline.waitUntilDrained(seconds: Self.drainSeconds)
        let seconds = (drainedAt ?? Machine.now) - start

        let counts = try psql.query("SELECT count(*), count(DISTINCT \(bench.table.seq)) FROM \(pipeline.table)").split(separator: "|")
        var result = CaseResult(system: "linemaster", bench: bench, load: load, stored: Int(counts[0]) ?? 0,
                                distinct: Int(counts[1]) ?? 0, seconds: seconds)
        result.drained = drainedAt != nil
        let c = pipeline.ring!.counters
        result.accepted = Int(c.rowsIn - rowsInBefore)
        result.ringDrops = Int(c.rowsDropped - droppedBefore)
        result.kernelDrops = Machine.udpSockets(port: pipeline.udpPort).drops
        result.cpu = cpuUse(workers: workers, backends: backends).minus(cpuBefore)
        result.rowsPerBatch = rowsPerBatch(pipeline.status())
        if bench.checksRows { result.differing = try ceiling.rowsDiffering(in: pipeline.table, seqStart: seqStart) }
        result.tableDefinition = try psql.query(CaseTable.definitionQuery(pipeline.table, leavingOut: GrowthCheck.columnPattern))
        if let every = bench.newFieldEvery {
            result.growth = try GrowthCheck(psql: psql, table: bench.table, name: pipeline.table, lines: load.sent, every: every, seqStart: seqStart)
        }
        return result
    }

    private func cpuUse(workers: [StatusDocument.Worker], backends: [Int]) -> CaseResult.CPUUse {
        func cpu(_ prefix: String) -> [Double] { workers.filter { $0.name.hasPrefix(prefix) }.map { Machine.cpuSeconds(pid: $0.pid ?? 0) } }
        return .init(listeners: cpu("listener"), inserters: cpu("inserter").reduce(0, +),
                     backends: backends.map { Machine.cpuSeconds(pid: $0) }.reduce(0, +))
    }

    private func rowsPerBatch(_ status: StatusDocument?) -> Int? {
        let inserters = status?.workers.filter { $0.name.hasPrefix("inserter") } ?? []
        let batches = inserters.compactMap(\.batches).reduce(0, +), rows = inserters.compactMap(\.rowsInserted).reduce(0, +)
        return batches > 0 ? Int(rows / batches) : nil
    }
}

extension CaseResult.CPUUse {
    func minus(_ other: Self) -> Self {
        .init(listeners: zip(listeners, other.listeners).map { $0 - $1 }, inserters: inserters - other.inserters,
              backends: backends - other.backends)
    }
}
