import Glibc

/// The ceiling a case is compared with: server-side `COPY cpu FROM 'file'` of the same rows
/// linemaster-load sends, in one session, into a fresh table of the case's definition
/// (``CaseTable``). It runs before a case and after it, and the case is compared with the mean
/// of the two: the speed of a shared VM drifts within minutes.
struct Ceiling {
    let psql: Psql
    let table: CaseTable
    let rows: Int
    let file: String
    private(set) var runs: [Int] = []
    /// Two sessions COPYing half of the file each at once, as linemaster's two inserters do.
    private(set) var parallel = 0
    private(set) var storedRows = ""
    private var before = 0
    private let schema: String

    var best: Int { runs.max() ?? 0 }
    var fileBytes: Int {
        var s = stat()
        return stat(file, &s) == 0 ? Int(s.st_size) : 0
    }

    /// Generates the rows by SQL and runs the first COPYs: a warm-up of the server's caches (also
    /// counted in the best), the two sessions, and the one before the first case.
    init(psql: Psql, table: CaseTable, rows: Int, workDirectory: String) throws {
        (self.psql, self.table, self.rows) = (psql, table, rows)
        (file, schema) = (workDirectory + "/ceiling-\(table).copy", "bench_copy_\(table)")
        try psql.run("DROP SCHEMA IF EXISTS \(schema) CASCADE; CREATE SCHEMA \(schema)")
        say("== ceiling, \(table) table: generating \(rows) rows into \(file)")
        let columns = ["now() + i * interval '1 microsecond'"] + table.values("i", seqStart: 0)
        try psql.run("COPY (SELECT \(columns.joined(separator: ", ")) FROM generate_series(0::bigint, \(rows - 1)) AS i) TO '\(file)'")
        _ = try copyOnce()
        storedRows = try psql.query("SELECT count(*) FROM \(schema).cpu")
        try copyInTwoSessions()
        try copyBefore()
    }

    /// The COPY before a case, when the last one measured was of another table.
    mutating func copyBefore() throws { before = try copyOnce() }

    /// The COPY after a case, and that case's ceiling: the mean of the COPY before and after it.
    mutating func around() throws -> Int {
        let after = try copyOnce()
        defer { before = after }
        return (before + after) / 2
    }

    func dropSchema() throws { try psql.run("DROP SCHEMA \(schema) CASCADE") }

    private mutating func copyOnce() throws -> Int {
        try freshTable()
        let start = Machine.now
        try psql.run("COPY \(schema).cpu FROM '\(file)'")
        let seconds = Machine.now - start
        let rate = Int(Double(rows) / seconds)
        say("   COPY (\(table)): \(rows) rows in \(twoDecimals(seconds)) s = \(rate) rows/s")
        runs.append(rate)
        return rate
    }

    private mutating func copyInTwoSessions() throws {
        let half = file + ".half."
        guard system("split -n l/2 \(shellQuoted(file)) \(shellQuoted(half)) && chmod 644 \(shellQuoted(half))*") == 0 else {
            throw BenchmarkFailure("cannot split \(file)")
        }
        defer { unlink(half + "aa"); unlink(half + "ab") }
        try freshTable()
        let copies = ["aa", "ab"].map { "psql -X -q -v ON_ERROR_STOP=1 \(shellQuoted(psql.conninfo)) -c \(shellQuoted("COPY \(schema).cpu FROM '\(half)\($0)'")) &" }
        let start = Machine.now
        guard system(copies.joined(separator: " ") + " wait") == 0 else { throw BenchmarkFailure("COPY in two sessions failed") }
        parallel = Int(Double(rows) / (Machine.now - start))
        say("   COPY in 2 sessions at once: \(parallel) rows/s")
    }

    private func freshTable() throws {
        try psql.run("DROP TABLE IF EXISTS \(schema).cpu; CREATE TABLE \(schema).cpu (\(table.definition)); CHECKPOINT")
    }

    /// How many rows of `stored` (a case's table) differ from the formulas: 0 when the ceiling
    /// COPYs the rows stored.
    func rowsDiffering(in stored: String, seqStart: Int) throws -> Int {
        Int(try psql.query(table.differingQuery(stored, seqStart: seqStart))) ?? -1
    }
}

/// A line of progress on stderr; the report goes to stdout.
func say(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
