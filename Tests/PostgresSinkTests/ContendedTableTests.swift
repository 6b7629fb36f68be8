import PostgresSink
import Testing

/// A table that another session keeps locked, or whose COPY keeps failing with a deadlock, beside
/// a healthy table `ok` in the same batches: the batch is tried once more, then the contended
/// table's rows are parked and the rest commits, so that no batch waits on one table for as long
/// as the lock is held. Rows are numbered (`seq`), so that nothing lost or stored twice shows.
@Suite struct ContendedTableTests {
    let db: TestDatabase
    init() throws {
        db = try TestDatabase()
        try db.execute("""
            CREATE TABLE $schema.m (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE TABLE $schema.ok (_time timestamptz, _tags jsonb, _fields jsonb);
            """)
    }

    /// Rows `from..<from + 40` of `m` and of `ok`, interleaved, written with their own ring range.
    private func write(_ from: Int, to sink: PostgresSink) throws -> BatchOutcome {
        let lines = (from..<from + 40).map { "m seq=\($0)i \($0 + 1)\nok seq=\($0)i \($0 + 1)" }
        return try Batch(lines.joined(separator: "\n")).write(to: sink, firstSeq: UInt64(2 * from + 1))
    }

    private func stored(_ table: String) throws -> [Int] {
        try db.column("SELECT (_fields->>'seq')::int FROM $schema.\(table) ORDER BY 1").map { Int($0!)! }
    }

    private func parked() throws -> [[String?]] {
        try db.query("SELECT sqlstate, count(*), count(DISTINCT record) FROM $schema.linemaster_parked GROUP BY 1")
    }

    private func failure(_ write: () throws -> Any) -> SinkError? {
        do {
            _ = try write()
            return nil
        } catch {
            return error as? SinkError
        }
    }

    /// `LOCK TABLE m` held by another session: the COPY gives up after the inserter's
    /// `lock_timeout` (55P03; without it, the `statement_timeout` this sink's URL sets would end it
    /// with 57014 instead) and the batch is not committed; at its second try the lock is asked for
    /// with NOWAIT, and `m`'s rows are parked while `ok`'s are stored. Later batches do the same
    /// while the lock is held; the parked rows stay parked while it is held, and are all stored,
    /// once, after it is released. Then `m` takes its rows directly again.
    @Test func aTableLockedByAnotherSessionHasItsRowsParkedAndTheOtherTablesRowsStored() throws {
        let sink = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " options='-c statement_timeout=20s'", schema: db.schema))
        _ = try sink.parkedRows()
        try db.execute("BEGIN; LOCK TABLE $schema.m IN ACCESS EXCLUSIVE MODE")

        let error = failure { try write(0, to: sink) }
        guard case .server(let cause)? = error else { Issue.record("expected a server error, got \(String(describing: error))"); return }
        #expect(cause.sqlstate == "55P03" && error?.errorClass == .contention, "\(cause)")
        #expect(try stored("ok") == [] && parked() == [])

        let first = try write(0, to: sink)
        #expect(first.inserted == 40 && first.parked.map { [$0.measurement, String($0.count), $0.sqlstate] } == [["m", "40", "55P03"]])
        let second = try write(40, to: sink)
        #expect(second.inserted == 40 && second.parked.map(\.count) == [40])
        #expect(try stored("ok") == Array(0..<80) && parked() == [["55P03", "80", "80"]])
        #expect(failure { try sink.retryParked(measurement: "m", limit: 1000) }?.errorClass == .contention)
        #expect(try parked() == [["55P03", "80", "80"]])

        try db.execute("ROLLBACK")
        #expect(try sink.retryParked(measurement: "m", limit: 1000).inserted == 80)
        #expect(try stored("m") == Array(0..<80) && parked() == [])
        let after = try write(80, to: sink)
        #expect(after.inserted == 80 && after.parked.isEmpty)
        #expect(try stored("m") == Array(0..<120) && stored("ok") == Array(0..<120))
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_rejects") == ["0"])
    }

    /// A trigger raising 40P01 (deadlock) for every row of `m`: the first try fails the batch, the
    /// second parks `m`'s rows and stores `ok`'s; the parked rows stay while the trigger raises,
    /// and are stored once it is gone.
    @Test func aTableWhoseEveryRowRaisesADeadlockHasItsRowsParkedAtTheSecondTry() throws {
        try db.execute("""
            CREATE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'deadlock by test' USING ERRCODE = '40P01'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON $schema.m FOR EACH ROW EXECUTE FUNCTION $schema.refuse();
            """)
        let sink = db.sink()

        #expect(failure { try write(0, to: sink) }?.errorClass == .contention)
        #expect(try stored("ok") == [] && db.column("SELECT count(*) FROM $schema.linemaster_ledger") == ["0"])
        let outcome = try write(0, to: sink)
        #expect(outcome.inserted == 40 && outcome.rejected.isEmpty)
        #expect(outcome.parked.map { [$0.measurement, String($0.count), $0.cause] } == [["m", "40", "PostgreSQL error 40P01: deadlock by test"]])
        #expect(try stored("m") == [] && stored("ok") == Array(0..<40) && parked() == [["40P01", "40", "40"]])
        #expect(failure { try sink.retryParked(measurement: "m", limit: 1000) }?.errorClass == .contention)

        try db.execute("DROP TRIGGER refuse ON $schema.m")
        #expect(try sink.retryParked(measurement: "m", limit: 1000).inserted == 40)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40) && parked() == [])
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_rejects") == ["0"])
    }

    /// A deadlock met once is tried again and then stored like any batch: a table is parked only
    /// when it meets contention twice running.
    @Test func aDeadlockMetOnceCostsOneRetryAndParksNothing() throws {
        try db.execute("""
            CREATE SEQUENCE $schema.tries;
            CREATE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('$schema.tries') = 1 THEN RAISE EXCEPTION 'deadlock by test' USING ERRCODE = '40P01'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON $schema.m FOR EACH ROW EXECUTE FUNCTION $schema.refuse();
            """)
        let sink = db.sink()
        #expect(failure { try write(0, to: sink) }?.errorClass == .contention)
        let outcome = try write(0, to: sink)
        #expect(outcome.inserted == 80 && outcome.parked.isEmpty)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40) && parked() == [])
    }
}
