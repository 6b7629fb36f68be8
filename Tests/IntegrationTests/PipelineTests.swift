import Glibc
import Testing

/// UDP in, PostgreSQL out: the listener, the ring and the inserter together, started by the real
/// supervisor against a real PostgreSQL.
@Suite struct Pipeline {
    static func config(port: UInt16, database: TestDatabase, inserters: Int = 1, batchRows: Int = 500, shutdownTimeout: String = "3s") -> String {
        """
        [supervisor]
        shutdown_timeout = "\(shutdownTimeout)"
        restart_after_crash = true
        max_restarts = 100
        [ring]
        size = "32MiB"
        [database]
        url = "\(database.url)"
        schema = "\(database.schema)"
        [[worker]]
        name = "listener"
        executable = "linemaster-listener"
        args = ["--udp", "127.0.0.1:\(port)"]
        flags = ["shared-memory"]
        restart = "100ms"
        [[worker]]
        name = "inserter"
        executable = "linemaster-inserter"
        args = ["--batch-rows", "\(batchRows)"]
        flags = ["shared-memory", "database"]
        start = "database-ready"
        restart = "100ms"
        count = \(inserters)
        """
    }

    @Test func linesSentOverUDPLandInOneTablePerMeasurementWithTypedFields() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send("""
            cpu,host=a usage=0.5,n=3i,ok=true,label="x y" 1700000000000000000
            cpu,host=b usage=1 1700000000000000001
            mem,host=a free=42u 1700000000000000002
            """)
        let s = database.schema
        try waitUntil("three rows are stored") {
            database.count("SELECT (SELECT count(*) FROM \(s).cpu) + (SELECT count(*) FROM \(s).mem)") == 3
        }
        let row = try database.psql("""
            SELECT _time, _tags->>'host', jsonb_typeof(_fields->'usage'), _fields->>'n', jsonb_typeof(_fields->'ok'), _fields->>'label'
            FROM \(s).cpu WHERE _tags->>'host' = 'a'
            """)
        #expect(row == "2023-11-14 22:13:20+00|a|number|3|boolean|x y")
        #expect(supervisor.status()["inserter"]?["rows_inserted"] == "3")
    }

    @Test func everyAcceptedRowIsStoredExactlyOnceWhileInsertersAreKilled() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database, inserters: 2))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        let lines = 30_000
        let load = Binaries.run("linemaster-load", ["127.0.0.1:\(port)", "-n", String(lines), "--rate", "20000", "--lines-per-datagram", "10"])
        #expect(load.status == 0)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            usleep(UInt32.random(in: 50_000...300_000, using: &generator))
            if let victim = supervisor.worker("inserter \(round % 2 + 1)") { kill(victim.pid, SIGKILL) }
        }
        // The ring's rows_in survives crash restarts (the listener's own counters start over).
        let accepted = try #require(Int(supervisor.ring()["rows_in"] ?? ""))
        try waitUntil("the ring is drained", timeout: .seconds(60)) { supervisor.ring()["used_bytes"] == "0" }
        let stored = try database.psql("SELECT count(*), count(DISTINCT (_fields->>'seq')::bigint) FROM \(database.schema).cpu")
        let (total, distinct) = try #require(stored.split(separator: "|").map { Int($0)! }.pair)
        #expect(total == distinct, "a row was stored twice")
        #expect(total >= accepted, "an accepted row was lost")
        #expect(accepted > lines / 2)
    }

    @Test func aSmartShutdownDrainsTheRingIntoPostgreSQLBeforeExiting() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database, batchRows: 20, shutdownTimeout: "60s"))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        #expect(Binaries.run("linemaster-load", ["127.0.0.1:\(port)", "-n", "200000", "--lines-per-datagram", "20"]).status == 0)
        var accepted = ""
        try waitUntil("the listener has taken every datagram") {
            let now = supervisor.ring()["rows_in"] ?? ""
            defer { accepted = now }
            usleep(200_000)
            return now == accepted && now != ""
        }
        #expect(supervisor.ring()["used_bytes"] != "0", "the inserter should still have rows to write")
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit(timeout: .seconds(60))?.exitCode == 0)
        #expect(String(database.count("SELECT count(*) FROM \(database.schema).cpu")) == accepted)
        #expect(access("/dev/shm" + supervisor.segmentName, F_OK) != 0, "an empty ring is removed")
    }

    @Test func aMeasurementNamedLikeSQLLandsAsATableNameAndExecutesNothing() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        try database.psql("CREATE TABLE \(database.schema).victim (x int)")
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send(#"x";\ DROP\ TABLE\ \#(database.schema).victim;\ --,host=a v=1i"#)
        try waitUntil("the row is stored") {
            database.count(#"SELECT count(*) FROM \#(database.schema)."x""; DROP TABLE \#(database.schema).victim; --""#) == 1
        }
        #expect(database.count("SELECT count(*) FROM \(database.schema).victim") == 0)
    }

    @Test func inserterShowsWhatItIsDoingInItsTitle() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = SupervisorProcess(config: Self.config(port: UDPSender.freshPort(), database: database))
        try supervisor.startReady()
        try waitUntil("the inserter is idle") { supervisor.worker("inserter")?.title == "linemaster: inserter idle" }
    }
}

extension Array {
    var pair: (Element, Element)? { count == 2 ? (self[0], self[1]) : nil }
}
