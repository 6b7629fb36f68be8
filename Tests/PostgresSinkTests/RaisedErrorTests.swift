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

    /// Connection failures reported by the server (Citus: a worker unreachable) and deadlocks are
    /// no row's fault: the batch is not committed, nothing is rejected, and once the cause is gone
    /// the same batch is stored whole. (A missing privilege parks the table's rows instead: below.)
    @Test(arguments: [("08006", ErrorClass.transient), ("40P01", .contention)])
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
        #expect(error?.errorClass == .contention, "\(String(describing: error))")
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

    private func parked() throws -> [[String?]] {
        try db.query("SELECT measurement, sqlstate, count(*), count(DISTINCT record) FROM $schema.linemaster_parked GROUP BY 1, 2 ORDER BY 1")
    }

    /// A table that refuses every row with a permission error (42501) does not hold the batch:
    /// its rows are parked in `linemaster_parked` in the batch's transaction, with the ledger row
    /// and the other table's rows, and nothing is rejected. While the table still refuses them a
    /// retry changes nothing; once it takes them, retries store every row once (in chunks) and
    /// empty the parked table.
    @Test func aTableThatRefusesItsRowsWithAPermissionErrorHasThemParkedAndTheBatchCommits() throws {
        try raise("42501")
        try db.execute("CREATE OR REPLACE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no m for you' USING ERRCODE = '42501'; END $$")
        let sink = db.sink()

        let outcome = try batch.write(to: sink)
        #expect(outcome.inserted == 40 && outcome.rejected.isEmpty && !outcome.alreadyCommitted)
        #expect(outcome.parked.map { [$0.measurement, String($0.count), $0.cause] } == [["m", "40", "PostgreSQL error 42501: no m for you"]])
        #expect(try stored("m") == [] && stored("ok") == Array(0..<40))
        #expect(try rejected() == [])
        #expect(try parked() == [["m", "42501", "40", "40"]])
        #expect(try db.query("SELECT epoch, first_seq, last_seq, rows FROM $schema.linemaster_ledger") == [["1", "1", "80", "80"]])
        #expect(try sink.parkedRows().map { [$0.measurement, String($0.count), $0.sqlstate] } == [["m", "40", "42501"]])

        let still = failure { try sink.retryParked(measurement: "m", limit: 25) }
        #expect(still?.errorClass == .configuration, "\(String(describing: still))")
        #expect(try parked() == [["m", "42501", "40", "40"]] && stored("m") == [])

        try db.execute("DROP TRIGGER refuse ON $schema.m")
        #expect(try sink.retryParked(measurement: "m", limit: 25).inserted == 25)
        #expect(try sink.retryParked(measurement: "m", limit: 25).inserted == 15)
        #expect(try sink.retryParked(measurement: "m", limit: 25).inserted == 0)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40))
        #expect(try parked() == [] && rejected() == [])
        // The rows kept their time and values through the parked table.
        #expect(try db.column("SELECT count(*) FROM $schema.m JOIN $schema.ok USING (_time, _fields)") == ["40"])
        #expect(try db.column("SELECT count(*) FROM $schema.linemaster_ledger") == ["1"])
    }

    /// A table that cannot be created (here `create_tables = "function"` without a `_create`
    /// function: 42883) parks its rows as well; once the table exists, they are stored once.
    @Test func rowsWhoseTableCannotBeCreatedAreParked() throws {
        try db.execute("CREATE TABLE $schema.ok (_time timestamptz, _tags jsonb, _fields jsonb)")
        let sink = db.sink(.function)
        let outcome = try batch.write(to: sink)
        #expect(outcome.inserted == 40 && outcome.rejected.isEmpty)
        #expect(outcome.parked.map { [$0.measurement, String($0.count), $0.sqlstate] } == [["m", "40", "42883"]])
        #expect(try stored("ok") == Array(0..<40) && parked() == [["m", "42883", "40", "40"]])

        try db.execute("CREATE TABLE $schema.m (_time timestamptz, _tags jsonb, _fields jsonb)")
        #expect(try sink.retryParked(measurement: "m", limit: 1000).inserted == 40)
        #expect(try stored("m") == Array(0..<40) && parked() == [] && rejected() == [])
    }

    /// Parked rows another transaction holds (another inserter retrying them) are left to it:
    /// the retry takes none of its chunk, stores nothing, and leaves them parked; once that
    /// transaction is gone, they are stored once.
    @Test func parkedRowsAnotherTransactionHoldsAreLeftToIt() throws {
        try raise("42501")
        try db.execute("CREATE OR REPLACE FUNCTION $schema.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no' USING ERRCODE = '42501'; END $$")
        let sink = db.sink()
        #expect(try batch.write(to: sink).parked.first?.count == 40)
        try db.execute("DROP TRIGGER refuse ON $schema.m")

        try db.execute("BEGIN; SELECT id FROM $schema.linemaster_parked ORDER BY id LIMIT 5 FOR UPDATE")
        let busy = try sink.retryParked(measurement: "m", limit: 1000)
        try db.execute("ROLLBACK")
        #expect(busy.alreadyCommitted && busy.inserted == 0)
        #expect(try stored("m") == [] && parked() == [["m", "42501", "40", "40"]])

        #expect(try sink.retryParked(measurement: "m", limit: 1000).inserted == 40)
        #expect(try stored("m") == Array(0..<40) && parked() == [])
    }

    /// An installation older than parking, whose role may not create tables in the schema: the
    /// administrator made the ledger and the rejects table, nobody the parked table. Batches still
    /// flow; a refusing table's batch waits in the ring, as it did before parking.
    @Test func withoutThePrivilegeToCreateTheParkedTableBatchesStillFlow() throws {
        try raise("42501")
        _ = try db.sink().parkedRows()  // an administrator's connection creates the tables
        let role = "lm_limited_\(UInt32.random(in: 0...UInt32.max))"
        try db.execute("""
            DROP TABLE $schema.linemaster_parked;
            CREATE ROLE \(role) LOGIN;
            GRANT USAGE ON SCHEMA $schema TO \(role);
            GRANT ALL ON ALL TABLES IN SCHEMA $schema TO \(role);
            GRANT ALL ON ALL SEQUENCES IN SCHEMA $schema TO \(role);
            """)
        defer { try? db.execute("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let limited = PostgresSink(settings: SinkSettings(conninfo: db.conninfo + " user=\(role)", schema: db.schema))

        #expect(try limited.parkedRows() == [])
        #expect(!limited.parkingAvailable)
        #expect(failure { try batch.write(to: limited) }?.errorClass == .configuration)
        try db.execute("DROP TRIGGER refuse ON $schema.m")
        #expect(try batch.write(to: limited).inserted == 80)
        #expect(try stored("m") == Array(0..<40) && stored("ok") == Array(0..<40))
    }
}
