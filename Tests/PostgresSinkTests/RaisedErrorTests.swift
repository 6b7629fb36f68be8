import PostgresSink
import Testing

/// A trigger raises a chosen SQLSTATE for chosen rows of table `m`, beside a healthy table `ok`
/// in the same batch; the rows are numbered (`seq`), so that what is stored, rejected or waiting
/// can be counted, and nothing lost or stored twice.
@Suite struct RaisedErrorTests {
    let db: TestDatabase
    init() throws { db = try TestDatabase() }

    /// Rows 0..<40 of `m` and of `ok`, interleaved; the trigger refuses `m`'s rows whose seq
    /// ends in 7 (4 of them).
    let batch = Batch((0..<40).map { "m seq=\($0)i \($0 + 1)\nok seq=\($0)i \($0 + 1)" }.joined(separator: "\n"))

    private func raise(_ sqlstate: String) throws {
        try db.execute("""
            CREATE TABLE $schema.m (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE TABLE $schema.ok (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (NEW._fields->>'seq')::int % 10 = 7 THEN
                    RAISE EXCEPTION 'refused %', NEW._fields->>'seq' USING ERRCODE = '\(sqlstate)';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON $schema.m FOR EACH ROW EXECUTE FUNCTION $schema.refuse();
            """)
    }

    private func stored(_ table: String) throws -> [Int] {
        try db.column("SELECT (_fields->>'seq')::int FROM $schema.\(table) ORDER BY 1").map { Int($0!)! }
    }

    private func rejected() throws -> [[String?]] {
        try db.query("SELECT measurement, (\"row\"->'fields'->>'seq'), sqlstate FROM $schema.linemaster_rejects ORDER BY 2::int")
    }

    private func failure(of write: () throws -> BatchOutcome) -> SinkError? {
        do {
            _ = try write()
            return nil
        } catch {
            return error as? SinkError
        }
    }

    /// Connection failures reported by the server (Citus: a worker unreachable), deadlocks and
    /// missing privileges are no row's fault: the batch is not committed, nothing is rejected, and
    /// once the cause is gone the same batch is stored whole.
    @Test(arguments: [("08006", ErrorClass.transient), ("40P01", .transient), ("42501", .configuration)])
    func anErrorThatIsNoRowsFaultMakesTheBatchWaitAndRejectsNothing(_ sqlstate: String, _ expected: ErrorClass) throws {
        try raise(sqlstate)
        let sink = db.sink()

        let error = failure { try batch.write(to: sink) }
        #expect(error?.errorClass == expected, "\(String(describing: error))")
        #expect(try stored("m") == [] && stored("ok") == [])
        #expect(try rejected() == [])
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_ledger") == ["0"])

        try db.execute("DROP TRIGGER refuse ON $schema.m")
        let outcome = try batch.write(to: sink)
        #expect(outcome.inserted == 80 && outcome.rejected.isEmpty)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40))
    }

    /// An internal error (Citus reports a worker's CHECK violation as XX000, without a line) or a
    /// user function's RAISE fails the batch until the inserter has retried it enough; then the
    /// rows that fail on their own are rejected with the error and every other row is stored.
    @Test(arguments: ["XX000", "P0001"])
    func anUnknownErrorFailsTheBatchThenRejectsOnlyTheRowsThatFailAlone(_ sqlstate: String) throws {
        try raise(sqlstate)
        let sink = db.sink()

        let error = failure { try batch.write(to: sink) }
        #expect(error?.errorClass == .unknown, "\(String(describing: error))")
        #expect(try stored("m") == [] && rejected() == [])

        let outcome = try batch.write(to: sink, isolating: true)
        let bad = [7, 17, 27, 37]
        #expect(outcome.inserted == 76 && outcome.rejected.count == 4)
        #expect(try stored("m") == (0..<40).filter { !bad.contains($0) })
        #expect(try stored("ok") == Array(0..<40))
        #expect(try rejected() == bad.map { ["m", String($0), sqlstate] })
    }

    /// Without the line a COPY error names, the rows at fault are found by bisection, however many.
    @Test func anUnknownErrorOnEveryRowOfATableRejectsThatTableAndStoresTheOther() throws {
        try raise("XX000")
        try db.execute("CREATE OR REPLACE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no' USING ERRCODE = 'XX000'; END $$")
        let outcome = try batch.write(to: db.sink(), isolating: true)
        #expect(outcome.inserted == 40 && outcome.rejected.count == 40)
        #expect(try stored("m") == [] && stored("ok") == Array(0..<40))
        #expect(try db.column("SELECT count(DISTINCT \"row\"->'fields'->>'seq') FROM $schema.linemaster_rejects") == ["40"])
    }

    /// An AFTER trigger fires once COPY has read every row, so its error names no line: the rows
    /// at fault are found by bisection.
    @Test func anUnknownErrorThatNamesNoLineIsIsolatedByBisection() throws {
        try raise("XX000")
        try db.execute("DROP TRIGGER refuse ON $schema.m; CREATE TRIGGER refuse AFTER INSERT ON $schema.m FOR EACH ROW EXECUTE FUNCTION $schema.refuse()")
        let outcome = try batch.write(to: db.sink(), isolating: true)
        let bad = [7, 17, 27, 37]
        #expect(outcome.inserted == 76 && outcome.rejected.count == 4)
        #expect(try stored("m") == (0..<40).filter { !bad.contains($0) })
        #expect(try stored("ok") == Array(0..<40))
        #expect(try rejected() == bad.map { ["m", String($0), "XX000"] })
    }

    /// An unknown error names the line COPY was on, which need not be the row at fault (a
    /// cancel arrives at whichever row): that row is rejected only if it fails alone. Here the
    /// fifth row COPY reads fails, once; alone, it is stored.
    @Test func aRowAnUnknownErrorNamesIsRejectedOnlyIfItFailsAlone() throws {
        try db.execute("""
            CREATE TABLE $schema.m (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE TABLE $schema.ok (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE SEQUENCE $schema.reads;
            CREATE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('$schema.reads') = 5 THEN RAISE EXCEPTION 'once' USING ERRCODE = 'XX000'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON $schema.m FOR EACH ROW EXECUTE FUNCTION $schema.refuse();
            """)
        let outcome = try batch.write(to: db.sink(), isolating: true)
        #expect(outcome.inserted == 80 && outcome.rejected.isEmpty)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40))
        #expect(try rejected() == [])
    }

    /// A batch whose isolation meets an error that is no row's fault waits whole: the rows
    /// rejected on the way are not kept, nothing is stored, no ledger entry; once the cause is
    /// gone, every row is stored once.
    @Test func anErrorNoRowsFaultMetWhileIsolatingMakesTheWholeBatchWait() throws {
        try raise("XX000")
        try db.execute("""
            CREATE OR REPLACE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (NEW._fields->>'seq')::int = 3 THEN RAISE EXCEPTION 'internal' USING ERRCODE = 'XX000'; END IF;
                IF (NEW._fields->>'seq')::int = 17 THEN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END IF;
                RETURN NEW;
            END $$
            """)
        let sink = db.sink()
        let error = failure { try batch.write(to: sink, isolating: true) }
        #expect(error?.errorClass == .transient, "\(String(describing: error))")
        #expect(try stored("m") == [] && stored("ok") == [] && rejected() == [])
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_ledger") == ["0"])

        try db.execute("DROP TRIGGER refuse ON $schema.m")
        let outcome = try batch.write(to: sink)
        #expect(outcome.inserted == 80 && outcome.rejected.isEmpty)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40))
    }

    /// A deferred constraint fires at COMMIT, where no row can be isolated; each batch makes
    /// constraints immediate, so it fires in its row's COPY and only that row is rejected.
    @Test func aDeferredConstraintRejectsOnlyItsRow() throws {
        try raise("23514")
        try db.execute("""
            DROP TRIGGER refuse ON $schema.m;
            CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON $schema.m DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION $schema.refuse()
            """)
        let outcome = try batch.write(to: db.sink())
        let bad = [7, 17, 27, 37]
        #expect(outcome.inserted == 76 && outcome.rejected.count == 4)
        #expect(try stored("m") == (0..<40).filter { !bad.contains($0) })
        #expect(try rejected() == bad.map { ["m", String($0), "23514"] })
    }
}
