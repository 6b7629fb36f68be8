import ArgumentParser
import Glibc
import LineProtocol
import PostgresSink
import WorkerGrants

/// `linemaster-bench copy`: the PostgreSQL sink against `psql -c "\copy ..."` of the same rows.
struct CopyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "PostgresSink throughput against psql \\copy of the same rows.",
        discussion: """
            Generates rows of the pg_influx benchmark shape
              cpu,host=h<i%1000>,region=r<i%8> usage=<x.yy>,idle=<i>i,label="x<i%100>" <ns>
            as ring records, and writes them with PostgresSink in batches (one transaction each, with
            the ledger), then writes the same rows, as a text file the benchmark generates, with
            psql's \\copy into a table of the same shape. Both for the jsonb layout
            (_time timestamptz, _tags jsonb, _fields jsonb) and a typed table. Prints rows/s and the
            ratio sink / psql (best of the runs). Needs a database and psql in PATH, e.g.
              swift build -c release && scripts/with-postgres .build/release/linemaster-bench copy
            """)

    @Option(help: "Rows per run.")
    var rows = 500_000

    @Option(help: "Rows per sink batch (one transaction each).")
    var batchRows = 5000

    @Option(help: "Timed runs per layout and writer, alternating which goes first; the best counts.")
    var runs = 5

    @Option(help: "libpq connection string (default: LINEMASTER_TEST_DATABASE_URL, else the PG* environment variables).")
    var url: String?

    func run() throws {
        let conninfo = url ?? getenv("LINEMASTER_TEST_DATABASE_URL").map { String(cString: $0) } ?? ""
        let psql = Psql(conninfo: conninfo)
        let records = Records(ParseCorpus.pgInflux(lines: rows))
        print("copy benchmark: \(records.count) rows, sink batches of \(batchRows) rows, best of \(runs) runs")
        for layout in Layout.allCases {
            let schema = "linemaster_bench_\(layout)_\(getpid())"
            try psql.run("CREATE SCHEMA \(schema); CREATE TABLE \(schema).cpu (\(layout.columns)); CREATE TABLE \(schema).cpu_psql (\(layout.columns))")
            defer { try? psql.run("DROP SCHEMA \(schema) CASCADE") }
            let file = "/tmp/linemaster-bench-\(getpid())-\(layout).txt"
            try records.writeCopyText(to: file, layout: layout)
            defer { unlink(file) }

            let sink = PostgresSink(settings: SinkSettings(conninfo: conninfo, schema: schema, createTables: .skip))
            try sink.connect()
            var sinkBest = Double.infinity, psqlBest = Double.infinity, sinkCPU = Double.infinity
            for run in 0..<runs {
                try psql.run("TRUNCATE \(schema).cpu, \(schema).cpu_psql, \(schema).linemaster_ledger")
                // The machine is shared: alternate the order so that neither writer always runs
                // right after the other's writes are checkpointed.
                for sinkTurn in run % 2 == 0 ? [true, false] : [false, true] {
                    try psql.run("CHECKPOINT")
                    if sinkTurn {
                        let cpuStart = clockSeconds(CLOCK_PROCESS_CPUTIME_ID)
                        sinkBest = min(sinkBest, try time { try records.write(to: sink, batchRows: batchRows, epoch: UInt64(run)) })
                        sinkCPU = min(sinkCPU, clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpuStart)
                    } else {
                        psqlBest = min(psqlBest, try time { try psql.run("\\copy \(schema).cpu_psql FROM '\(file)'") })
                    }
                }
            }
            let same = try psql.query("SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM \(schema).cpu t) = (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM \(schema).cpu_psql t)")
            let sinkRate = Double(records.count) / sinkBest, psqlRate = Double(records.count) / psqlBest
            print(layout.rawValue.padding(to: 6),
                  "sink \(Int(sinkRate)) rows/s (\(twoDecimals(sinkBest)) s, client CPU \(twoDecimals(sinkCPU)) s),",
                  "psql \\copy \(Int(psqlRate)) rows/s (\(twoDecimals(psqlBest)) s),",
                  "ratio \(twoDecimals(sinkRate / psqlRate)),",
                  "same rows: \(same == "t" ? "yes" : "NO")")
        }
    }

    private func time(_ body: () throws -> Void) throws -> Double {
        let start = clockSeconds(CLOCK_MONOTONIC)
        try body()
        return clockSeconds(CLOCK_MONOTONIC) - start
    }
}

/// The two table shapes measured.
enum Layout: String, CaseIterable {
    case jsonb, typed

    var columns: String {
        switch self {
        case .jsonb: return "_time timestamptz, _tags jsonb, _fields jsonb"
        case .typed: return "_time timestamptz, host text, region text, usage double precision, idle bigint, label text"
        }
    }
}

/// The rows as ring records, in one buffer, as an inserter finds them in the ring.
struct Records {
    private let bytes: [UInt8]
    private let bounds: [Range<Int>]

    init(_ corpus: [UInt8]) {
        var bytes: [UInt8] = [], bounds: [Range<Int>] = []
        corpus.withUnsafeBytes { input in
            LineParser(precision: .nanoseconds).parse(input, defaultTime: 0) { view in
                let size = PointRecord.encodedSize(view)
                let start = bytes.count
                bytes.append(contentsOf: repeatElement(0, count: size))
                bytes.withUnsafeMutableBytes { _ = PointRecord.encode(view, into: $0.baseAddress! + start) }
                bounds.append(start..<start + size)
            } onError: { _ in }
        }
        self.bytes = bytes
        self.bounds = bounds
    }

    var count: Int { bounds.count }

    /// What an inserter does: views on the records of a batch, one write per batch.
    func write(to sink: PostgresSink, batchRows: Int, epoch: UInt64) throws {
        try bytes.withUnsafeBytes { all in
            var views: [PointRecordView] = []
            views.reserveCapacity(batchRows)
            for first in stride(from: 0, to: bounds.count, by: batchRows) {
                views.removeAll(keepingCapacity: true)
                let last = min(first + batchRows, bounds.count) - 1
                for i in first...last { views.append(try PointRecordView(UnsafeRawBufferPointer(rebasing: all[bounds[i]]))) }
                let outcome = try sink.write(views, range: RingRange(epoch: epoch, firstSeq: UInt64(first), lastSeq: UInt64(last)))
                guard outcome.inserted == views.count else { throw BenchmarkFailure("sink inserted \(outcome.inserted) of \(views.count) rows: \(outcome)") }
            }
        }
    }

    /// The same rows in COPY text format for `\copy`: tab-separated, JSON as the sink writes it.
    func writeCopyText(to path: String, layout: Layout) throws {
        guard let file = fopen(path, "w") else { throw BenchmarkFailure("cannot write \(path)") }
        defer { fclose(file) }
        try bytes.withUnsafeBytes { all in
            for bound in bounds {
                let point = try PointRecordView(UnsafeRawBufferPointer(rebasing: all[bound])).makePoint()
                var line = [timestampText(point.time)]
                switch layout {
                case .jsonb:
                    line.append("{" + point.tags.map { json($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}")
                    line.append("{" + point.fields.map { json($0.key) + ":" + json($0.value) }.joined(separator: ",") + "}")
                case .typed:
                    line += point.tags.map(\.value)
                    line += point.fields.map { field in
                        if case .string(let s) = field.value { return s }
                        return json(field.value)
                    }
                }
                fputs(line.joined(separator: "\t").copyTextEscaped + "\n", file)
            }
        }
    }
}

private func json(_ s: String) -> String {
    "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
}

private func json(_ value: FieldValue) -> String {
    switch value {
    case .float(let x): return x.description
    case .int(let x): return String(x)
    case .uint(let x): return String(x)
    case .bool(let x): return String(x)
    case .string(let s): return json(s)
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff+00` for nanoseconds since the Unix epoch.
private func timestampText(_ ns: Int64) -> String {
    var seconds = time_t(ns / 1_000_000_000)
    var tm = tm()
    gmtime_r(&seconds, &tm)
    let micro = (ns % 1_000_000_000) / 1000
    func two(_ x: Int32) -> String { x < 10 ? "0\(x)" : "\(x)" }
    let fraction = String(micro)
    return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday)) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))."
        + String(repeating: "0", count: 6 - fraction.count) + fraction + "+00"
}

/// Runs psql with the benchmark's connection string.
struct Psql {
    let conninfo: String

    func run(_ command: String) throws {
        let status = system("psql -X -q -v ON_ERROR_STOP=1 \(shellQuoted(conninfo)) -c 'SET client_min_messages = warning' -c \(shellQuoted(command)) >/dev/null")
        guard status == 0 else { throw BenchmarkFailure("psql failed on: \(command)") }
    }

    func query(_ sql: String) throws -> String {
        let (status, output) = try runCapturing(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", conninfo, "-c", sql], joiningStderr: false)
        guard status == 0 else { throw BenchmarkFailure("psql failed on: \(sql)") }
        return output.trimmingSuffix("\n")
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }

    fileprivate func padding(to width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }

    func trimmingSuffix(_ suffix: Character) -> String {
        var s = self
        while s.last == suffix { s.removeLast() }
        return s
    }

    /// COPY text format: backslash, tab-free fields already; escape backslashes and newlines.
    fileprivate var copyTextEscaped: String {
        replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n")
    }
}

