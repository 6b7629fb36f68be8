import ArgumentParser
import Glibc

/// `linemaster-bench e2e`: how many of the lines sent end up in PostgreSQL and how fast, against
/// the ceiling of a server-side COPY of the same rows, measured around each case in the same run.
struct E2EBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "End to end: lines sent with linemaster-load, rows stored, against the COPY ceiling.",
        discussion: """
            Each linemaster case starts a supervisor with 2 listeners on one UDP socket, 2 inserters
            and a 256MiB ring into a fresh schema, sends with linemaster-load, waits until the ring
            (mapped read-only) is drained and every row committed, and counts the rows stored and the
            distinct seq. Around each case it runs the COPY ceiling into a table of the case's
            definition (jsonb; typed for the typed cases, whose table linemaster makes with
            create_tables = "columns"; typedgrow's lines bring a new field every
            \(BenchCase.linesPerNewField) lines, a new column each). The HTTP cases run against
            linemaster when --linemaster-http-url names the /write of an HTTP worker given by
            --extra-config, and against InfluxDB when --influx names an influxd.
            Prints a Markdown report on stdout, progress on stderr. scripts/bench runs it with a
            throwaway PostgreSQL (and influxd) set up for ingest.
            Cases: \(BenchCase.names.joined(separator: " ")); a case named twice runs twice.
            """)

    @Option(help: "Space-separated cases.")
    var cases = "100k 200k 300k 400k full1 full1 full1 full1mmsg full100 full10 typed typedgrow http"

    @Option(help: "Inserter --batch-rows.")
    var batchRows = 5000

    @Option(help: "Seconds of load per paced case (at most 2,000,000 lines).")
    var seconds = 5

    @Option(help: "Lines of the full-speed cases, and rows of the COPY ceiling.")
    var fullLines = 1_000_000

    @Option(help: "Lines of the HTTP cases.")
    var httpLines = 2_000_000

    @Option(help: "Renice the listeners to this (e.g. -10), an experiment.")
    var listenerNice: Int32?

    @Option(help: "libpq connection string of a superuser (default: LINEMASTER_TEST_DATABASE_URL).")
    var url: String?

    @Option(help: ArgumentHelp("The base URL of an influxd, e.g. http://127.0.0.1:8186: the peer of the HTTP cases.", valueName: "URL"))
    var influx: String?

    @Option(name: .customLong("linemaster-http-url"), help: ArgumentHelp("Where linemaster's HTTP cases send, e.g. http://127.0.0.1:8086/write?db=bench.", valueName: "URL"))
    var linemasterHTTPURL: String?

    @Option(help: ArgumentHelp("A TOML file appended to each case's config (e.g. an HTTP worker).", valueName: "FILE"))
    var extraConfig: String?

    @Option(help: ArgumentHelp("Where the cases' data directories, configs, logs and the ceiling's file go; left in place (default: a new temporary directory, removed at the end).", valueName: "DIR"))
    var workDirectory: String?

    @Option(help: "The directory of linemaster's executables (default: this executable's).")
    var bin: String?

    @Option(help: "The commit measured, for the report's heading.")
    var commit: String?

    @Option(help: "A line for the report's notes (the server's and kernel's settings of the run); repeatable.")
    var note: [String] = []

    @Option(help: "The command line the report shows (default: this one).")
    var command: String?

    func validate() throws {
        guard (linemasterHTTPURL == nil) == (extraConfig == nil) else {
            throw ValidationError("--linemaster-http-url and --extra-config go together: the config runs the HTTP worker the URL names")
        }
    }

    func run() throws {
        let benches = try BenchCase.parse(cases, secondsPerCase: seconds, fullLines: fullLines, httpLines: httpLines)
        let conninfo = url ?? getenv("LINEMASTER_TEST_DATABASE_URL").map { String(cString: $0) } ?? ""
        let psql = Psql(conninfo: conninfo)
        let work = try workDirectory ?? temporaryDirectory()
        chmod(work, 0o777)   // the server writes the ceiling's file there and reads it back
        defer { if workDirectory == nil { _ = system("rm -rf " + shellQuoted(work)) } }
        let settings = PipelineSettings(bin: bin ?? executableDirectory(), conninfo: conninfo, batchRows: batchRows, workDirectory: work,
                                        extraConfig: try extraConfigText(), listenerNice: listenerNice)
        let loadBefore = Machine.loadAverage, rcvbufErrors = Machine.udpReceiveBufferErrors()
        let server = try serverNote(psql)
        say("== load average \(loadBefore), \(server)")
        var ceilings = Ceilings(psql: psql, rows: fullLines, workDirectory: work)
        var results: [CaseResult] = []
        for (index, bench) in benches.enumerated() {
            let seqStart = (index + 1) * 10_000_000
            if !bench.workload.isHTTP || linemasterHTTPURL != nil {
                let ceiling = try ceilings.before(bench.table)
                results.append(try measured(&ceilings, LinemasterCase(bench: bench, number: index + 1, seqStart: seqStart, settings: settings,
                                                                      httpURL: linemasterHTTPURL, psql: psql, ceiling: ceiling).run()))
            }
            if bench.workload.isHTTP, let influx {
                _ = try ceilings.before(bench.table)
                results.append(try measured(&ceilings, InfluxPeer(baseURL: influx).run(bench, number: index + 1, seqStart: seqStart, bin: settings.bin)))
            }
        }
        try ceilings.dropSchemas()
        E2EReport(results: results, ceilings: ceilings.all, command: command ?? CommandLine.arguments.joined(separator: " "), commit: commit,
                  notes: ["machine: \(Machine.summary)",
                          "load average before \(loadBefore), after \(Machine.loadAverage) (1, 5, 15 min; the load generator and other processes share the cores)",
                          server,
                          "linemaster: \(PipelineSettings.listeners) listeners (on the supervisor's one socket, receive_buffer = \(PipelineSettings.receiveBuffer)), \(PipelineSettings.inserters) inserters (--batch-rows \(batchRows)), ring \(PipelineSettings.ringSize), create_tables = \"jsonb\" (the typed cases: \"columns\")\(extraConfig.map { "; with \($0) appended to the config" } ?? "")",
                          "one linemaster-load process per case; \(seconds) s of load per paced case (at most \(BenchCase.pacedLinesCap) lines)",
                          influx.map { "InfluxDB at \($0): the HTTP cases' peer, a fresh database per case, counted with SELECT count(seq) and count(distinct(seq))" }
                              ?? "InfluxDB: not given (--influx): no peer for the HTTP cases",
                          linemasterHTTPURL == nil ? "linemaster's HTTP cases: no HTTP worker given (--linemaster-http-url, --extra-config): skipped" : nil]
                            .compactMap { $0 } + note,
                  udpReceiveBufferErrors: Machine.udpReceiveBufferErrors() - rcvbufErrors).print()
    }

    /// `result` with the ceiling of its table measured after it; progress on stderr.
    private func measured(_ ceilings: inout Ceilings, _ result: CaseResult) throws -> CaseResult {
        var result = result
        result.ceiling = try ceilings.after(result.bench.table)
        say(result.summary)
        return result
    }

    private func serverNote(_ psql: Psql) throws -> String {
        let version = try psql.query("SHOW server_version")
        let settings = try psql.query("""
            SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings
            WHERE name IN ('fsync','synchronous_commit','full_page_writes','shared_buffers','max_wal_size','wal_level','checkpoint_timeout')
            """)
        return "PostgreSQL \(version): \(settings)"
    }

    private func extraConfigText() throws -> String {
        guard let extraConfig else { return "" }
        guard let text = readText(extraConfig) else { throw BenchmarkFailure("cannot read --extra-config \(extraConfig)") }
        return text
    }

    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/linemaster-bench.XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw BenchmarkFailure("mkdtemp: \(String(cString: strerror(errno)))") }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func executableDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = String(decoding: buffer[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }
}
