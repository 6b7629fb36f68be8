import Glibc

/// The ceiling a case is compared with: server-side `COPY cpu FROM 'file'` of the same rows
/// linemaster-load sends, in one session, into a fresh (_time, _tags jsonb, _fields jsonb)
/// table. It runs before the first case and after every case, and each case is compared with
/// the mean of the COPY just before and just after it: the speed of a shared VM drifts within
/// minutes.
struct Ceiling {
    /// Distinct series (host/region tags) of the load generator's lines.
    static let series = 1000

    let psql: Psql
    let rows: Int
    let file: String
    private(set) var runs: [Int] = []
    /// Two sessions COPYing half of the file each at once, as linemaster's two inserters do.
    private(set) var parallel = 0
    private(set) var storedRows = ""
    private var before = 0

    var best: Int { runs.max() ?? 0 }
    var fileBytes: Int {
        var s = stat()
        return stat(file, &s) == 0 ? Int(s.st_size) : 0
    }

    /// Generates the rows by SQL and runs the first COPYs: a warm-up of the server's caches (also
    /// counted in the best), the two sessions, and the one before the first case.
    init(psql: Psql, rows: Int, workDirectory: String) throws {
        (self.psql, self.rows, file) = (psql, rows, workDirectory + "/ceiling.copy")
        try psql.run("DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy")
        say("== ceiling: generating \(rows) rows into \(file)")
        try psql.run("COPY (SELECT now() + i * interval '1 microsecond', \(Self.tags("i")), \(Self.fields("i", seqStart: 0)) FROM generate_series(0::bigint, \(rows - 1)) AS i) TO '\(file)'")
        _ = try copyOnce()
        storedRows = try psql.query("SELECT count(*) FROM bench_copy.cpu")
        try copyInTwoSessions()
        before = try copyOnce()
    }

    /// The COPY after a case, and that case's ceiling: the mean of the COPY before and after it.
    mutating func around() throws -> Int {
        let after = try copyOnce()
        defer { before = after }
        return (before + after) / 2
    }

    func dropSchema() throws { try psql.run("DROP SCHEMA bench_copy CASCADE") }

    private mutating func copyOnce() throws -> Int {
        try freshTable()
        let start = Machine.now
        try psql.run("COPY bench_copy.cpu FROM '\(file)'")
        let seconds = Machine.now - start
        let rate = Int(Double(rows) / seconds)
        say("   COPY: \(rows) rows in \(twoDecimals(seconds)) s = \(rate) rows/s")
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
        let copies = ["aa", "ab"].map { "psql -X -q -v ON_ERROR_STOP=1 \(shellQuoted(psql.conninfo)) -c \(shellQuoted("COPY bench_copy.cpu FROM '\(half)\($0)'")) &" }
        let start = Machine.now
        guard system(copies.joined(separator: " ") + " wait") == 0 else { throw BenchmarkFailure("COPY in two sessions failed") }
        parallel = Int(Double(rows) / (Machine.now - start))
        say("   COPY in 2 sessions at once: \(parallel) rows/s")
    }

    private func freshTable() throws {
        try psql.run("DROP TABLE IF EXISTS bench_copy.cpu; CREATE TABLE bench_copy.cpu (_time timestamptz, _tags jsonb, _fields jsonb); CHECKPOINT")
    }

    // Line i (from 0): cpu,host=h<i%S>,region=r<i%S%8> usage=<(i*7919)%10000 / 100>,idle=<i>i,label="x<i%100>",seq=<X+i>i

    /// The `_tags` of line `i`, in SQL: the load generator's formula.
    static func tags(_ i: String) -> String {
        "jsonb_build_object('host', 'h' || ((\(i)) % \(series)), 'region', 'r' || ((\(i)) % \(series) % 8))"
    }

    /// The `_fields` of line `i` of a run whose seq starts at `seqStart`, in SQL.
    static func fields(_ i: String, seqStart: Int) -> String {
        "jsonb_build_object('usage', to_jsonb((((\(i)) * 7919) % 10000)::float8 / 100), 'idle', (\(i)), 'label', 'x' || ((\(i)) % 100), 'seq', \(seqStart) + (\(i)))"
    }

    /// How many rows of `table` differ from the formulas: 0 when the ceiling COPYs the rows stored.
    func rowsDiffering(in table: String, seqStart: Int) throws -> Int {
        Int(try psql.query("""
            SELECT count(*) FILTER (WHERE _tags <> \(Self.tags("i")) OR _fields <> \(Self.fields("i", seqStart: seqStart)))
            FROM (SELECT *, (_fields->>'seq')::bigint - \(seqStart) AS i FROM \(table)) s
            """)) ?? -1
    }
}

/// A line of progress on stderr; the report goes to stdout.
func say(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
