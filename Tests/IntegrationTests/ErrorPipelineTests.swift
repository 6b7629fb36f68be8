import Glibc
import Testing

/// Errors classed by what they mean, through the real supervisor, listener and inserters: triggers
/// raise chosen SQLSTATEs for chosen rows, and every line sent (numbered by linemaster-load's `seq`)
/// is counted at the end as stored or rejected, once.
@Suite struct ErrorPipeline {
    /// Tables `name` (jsonb layout) with a trigger that raises `sqlstate` when `condition` holds.
    private static func refuse(_ database: TestDatabase, _ name: String, when condition: String, sqlstate: String) throws {
        let s = database.schema
        try database.psql("""
            CREATE TABLE \(s).\(name) (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE FUNCTION \(s).refuse_\(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF \(condition) THEN RAISE EXCEPTION 'refused by test' USING ERRCODE = '\(sqlstate)'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON \(s).\(name) FOR EACH ROW EXECUTE FUNCTION \(s).refuse_\(name)();
            """)
    }

    /// Sends `lines` numbered lines of each measurement at once (so batches mix them), slowly
    /// enough that the kernel drops none; fails the test if it did.
    private static func send(_ measurements: [String], lines: Int, port: UInt16, in directory: String) throws {
        let loads = measurements.map { name in
            Binaries.spawn("linemaster-load", [
                "127.0.0.1:\(port)", "-n", String(lines), "--rate", "4000", "--lines-per-datagram", "10", "--measurement", name,
            ], logPath: directory + "/load-\(name).log")
        }
        for load in loads {
            var status: Int32 = 0
            waitpid(load, &status, 0)
        }
        try #require(KernelSockets.udpDrops(port: port) == 0, "the kernel dropped datagrams: the counts below would not add up")
    }

    private static func seqs(_ database: TestDatabase, _ table: String) -> (count: Int, distinct: Int) {
        let row = (try? database.psql("SELECT count(*), count(DISTINCT (_fields->>'seq')::bigint) FROM \(database.schema).\(table)")) ?? ""
        return row.split(separator: "|").map { Int($0)! }.pair ?? (-1, -1)
    }

    /// One row in 100 of `bad` raises XX000 (as Citus reports a worker's CHECK violation), every
    /// row of `worse` raises P0001: both tables' batches fail, are retried three times and then
    /// isolated, and the healthy table's rows, in the same batches, are all stored meanwhile.
    @Test func tablesWhoseRowsRaiseUnknownErrorsDoNotStopAnotherTablesRows() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        try Self.refuse(database, "bad", when: "(NEW._fields->>'seq')::bigint % 100 = 7", sqlstate: "XX000")
        try Self.refuse(database, "worse", when: "true", sqlstate: "P0001")
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database, inserters: 2, batchRows: 200))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        let lines = 2000
        try Self.send(["good", "bad", "worse"], lines: lines, port: port, in: supervisor.directory)

        let s = database.schema
        let rejects = "FROM \(s).linemaster_rejects"
        try waitUntil("every row is stored or rejected", timeout: .seconds(120)) {
            Self.seqs(database, "good").count == lines && Self.seqs(database, "bad").count == lines - lines / 100
                && database.count("SELECT count(*) \(rejects)") == lines + lines / 100 && supervisor.ring()["used_bytes"] == "0"
        }
        #expect(Self.seqs(database, "good") == (lines, lines))
        #expect(Self.seqs(database, "bad") == (lines - lines / 100, lines - lines / 100))
        #expect(Self.seqs(database, "worse") == (0, 0))
        let byTable = try database.psql("""
            SELECT measurement, sqlstate, count(*), count(DISTINCT ("row"->'fields'->>'seq')::bigint),
                   count(*) FILTER (WHERE ("row"->'fields'->>'seq')::bigint % 100 <> 7)
            \(rejects) GROUP BY 1, 2 ORDER BY 1
            """)
        #expect(byTable == "bad|XX000|\(lines / 100)|\(lines / 100)|0\nworse|P0001|\(lines)|\(lines)|\(lines - lines / 100)")
    }

    /// A permission error (42501) or a deadlock (40P01, parked at a batch's second try) on every
    /// row of one table is no row's fault, and it must not hold the ring: the batches that meet
    /// it park that table's rows in `linemaster_parked` and commit the rest, so that far more
    /// lines than the 1 MiB ring holds flow through while the table refuses them, none dropped,
    /// none rejected, with the cause in the title and the log; once the cause is gone, every
    /// parked row is stored, once.
    @Test(arguments: ["42501", "40P01"])
    func aTableThatRefusesEveryRowIsParkedAndASmallRingKeepsFlowing(_ sqlstate: String) throws {
        let database = try TestDatabase()
        defer { database.drop() }
        try Self.refuse(database, "locked", when: "true", sqlstate: sqlstate)
        let port = UDPSender.freshPort()
        let config = Pipeline.config(port: port, database: database, inserters: 2, batchRows: 200)
            .replacingOccurrences(of: "size = \"32MiB\"", with: "size = \"1MiB\"")
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        #expect(supervisor.ring()["size"] == String(1 << 20))
        let lines = 12000
        try Self.send(["good", "locked"], lines: lines, port: port, in: supervisor.directory)

        let s = database.schema
        let parked = "SELECT count(*) FROM \(s).linemaster_parked"
        try waitUntil("the healthy table's rows are stored and the other's parked", timeout: .seconds(60)) {
            Self.seqs(database, "good").count == lines && database.count(parked) == lines
        }
        #expect(Self.seqs(database, "good") == (lines, lines))
        #expect(Self.seqs(database, "locked") == (0, 0))
        #expect(database.count("SELECT count(DISTINCT record) FROM \(s).linemaster_parked WHERE sqlstate = '\(sqlstate)'") == lines)
        #expect(database.count("SELECT count(*) FROM \(s).linemaster_rejects") == 0)
        let ring = supervisor.ring()
        #expect(ring["dropped"] == "0", "\(ring)")
        #expect(Int(ring["rows_in"] ?? "0")! == 2 * lines && ring["used_bytes"] == "0", "\(ring)")
        try waitUntil("an inserter shows the parked rows and why") {
            supervisor.workers().contains { $0.title.contains("parked") && $0.title.contains("of locked: PostgreSQL error \(sqlstate): refused by test") }
        }
        #expect(supervisor.log().contains("rows of locked: PostgreSQL error \(sqlstate): refused by test; kept in linemaster_parked"))

        try database.psql("DROP TRIGGER refuse ON \(s).locked")
        try waitUntil("every parked row is stored", timeout: .seconds(90)) {
            Self.seqs(database, "locked").count == lines && database.count(parked) == 0
        }
        #expect(Self.seqs(database, "locked") == (lines, lines))
        #expect(Self.seqs(database, "good") == (lines, lines))
        #expect(database.count(parked) == 0)
        #expect(database.count("SELECT count(*) FROM \(s).linemaster_rejects") == 0)
        try waitUntil("the titles no longer show parked rows", timeout: .seconds(30)) {
            !supervisor.workers().contains { $0.title.contains("parked") }
        }
    }

    /// The sum of a counter of `status --json` over the inserters.
    private static func inserters(_ supervisor: SupervisorProcess, _ counter: String) -> Int {
        supervisor.status().filter { $0.key.hasPrefix("inserter") }.reduce(0) { $0 + (Int($1.value[counter] ?? "") ?? 0) }
    }

    /// `LOCK TABLE locked` held by another session while rows for it and for `good` flow: the
    /// inserters' COPY gives up after their `lock_timeout`, the second try parks the locked
    /// table's rows, and later batches park them at once (LOCK ... NOWAIT), so `good`'s rows are
    /// all stored while the lock is still held; `status` counts the parked rows. Once the lock is
    /// released, every parked row is stored, once, and counted as stored later.
    @Test func aTableLockedByAnotherSessionIsParkedWhileTheOtherTablesRowsAreStored() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let s = database.schema
        try database.psql("CREATE TABLE \(s).good (_time timestamptz, _tags jsonb, _fields jsonb); CREATE TABLE \(s).locked (LIKE \(s).good)")
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database, inserters: 2, batchRows: 200))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        let locker = "locker_\(s)"
        let psql = Binaries.spawnProgram("/usr/bin/psql", [
            database.url, "-X", "-c", "BEGIN; LOCK TABLE \(s).locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)",
        ], logPath: supervisor.directory + "/locker.log", environment: ["PGAPPNAME=\(locker)"])
        defer {
            _ = try? database.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(locker)'")
            var status: Int32 = 0
            waitpid(psql, &status, 0)
        }
        try waitUntil("the other session holds the lock") {
            database.count("SELECT count(*) FROM pg_locks WHERE relation = '\(s).locked'::regclass AND mode = 'AccessExclusiveLock' AND granted") == 1
        }
        let lines = 6000
        try Self.send(["good", "locked"], lines: lines, port: port, in: supervisor.directory)

        let parked = "SELECT count(*) FROM \(s).linemaster_parked"
        try waitUntil("the healthy table's rows are stored and the locked one's parked", timeout: .seconds(60)) {
            Self.seqs(database, "good").count == lines && database.count(parked) == lines
        }
        #expect(database.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(locker)'") == 1, "the lock is still held")
        #expect(Self.seqs(database, "good") == (lines, lines))
        #expect(database.count("SELECT count(DISTINCT record) FROM \(s).linemaster_parked WHERE sqlstate = '55P03'") == lines)
        try waitUntil("status counts the parked rows") { Self.inserters(supervisor, "rows_parked") == lines }
        #expect(Self.inserters(supervisor, "parked_rows_stored") == 0)
        #expect(supervisor.control(["status", "-D", supervisor.dataDirectory]).output.contains("rows parked "))

        try database.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(locker)'")
        try waitUntil("every parked row is stored", timeout: .seconds(90)) {
            Self.seqs(database, "locked").count == lines && database.count(parked) == 0
        }
        #expect(Self.seqs(database, "locked") == (lines, lines))
        #expect(Self.seqs(database, "good") == (lines, lines))
        #expect(database.count("SELECT count(*) FROM \(s).linemaster_rejects") == 0)
        try waitUntil("status counts them as stored later") { Self.inserters(supervisor, "parked_rows_stored") == lines }
        #expect(Self.inserters(supervisor, "rows_parked") == lines)
        let ring = supervisor.ring()
        #expect(ring["dropped"] == "0" && ring["used_bytes"] == "0", "\(ring)")
    }
}
