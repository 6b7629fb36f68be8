import Foundation
import Glibc
import Testing

/// Every line that reaches linemaster ends in exactly one place: a mix of good lines, bad lines,
/// constraint violations, a skipped measurement and a burst into a ring too small for it,
/// through the real binaries, checked against what the sender sent and what the tables hold.
@Suite(.serialized) struct EveryRowAccountedFor {
    /// Tables for the stored measurements (`create_tables = "skip"` leaves `skipme` without one);
    /// `checked` refuses a negative `v`.
    static func prepare(_ database: TestDatabase) throws {
        let s = database.schema
        _ = try database.psql("""
            CREATE TABLE \(s).good (_time timestamptz, _tags jsonb, _fields jsonb);
            CREATE TABLE \(s).checked (_time timestamptz, _tags jsonb, _fields jsonb, v double precision CHECK (v >= 0));
            """)
    }

    static let mixed = (0 ..< 50).map { "good,host=a n=\($0)i" } + (0 ..< 10).map { "bad line \($0)" }
        + (0 ..< 5).map { "checked,host=a v=-\($0 + 1)" } + (0 ..< 5).map { "checked,host=a v=\($0)" }
        + (0 ..< 7).map { "skipme,host=a v=\($0)" }
    static let wideLine = "good,host=burst text=\"" + String(repeating: "x", count: 900) + "\""

    static func config(_ database: TestDatabase, receivers: String) -> String {
        """
        [supervisor]
        shutdown_timeout = "3s"
        max_restarts = 100
        [ring]
        size = "1MiB"
        [database]
        url = "\(database.url)"
        schema = "\(database.schema)"
        create_tables = "skip"
        \(receivers)
        [[worker]]
        name = "inserter"
        executable = "linemaster-inserter"
        flags = ["shared-memory", "database"]
        start = "database-ready"
        restart = "100ms"
        """
    }

    /// The balance of `status --json`, `status`'s verdict, and the Prometheus terms' sum.
    static func balance(_ supervisor: SupervisorProcess) throws -> (json: [String: Any], text: String, prometheus: [String: Double]) {
        let json = supervisor.control(["status", "-D", supervisor.dataDirectory, "--json"]).output
        let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let samples = try PrometheusExposition.parse(supervisor.control(["status", "-D", supervisor.dataDirectory, "--prometheus"]).output)
        return (try #require(root?["balance"] as? [String: Any]), supervisor.control(["status", "-D", supervisor.dataDirectory]).output,
                samples.compactMapValues { $0 as? Double })
    }

    /// The Prometheus families the balance is made of, each summed over its labels.
    static func sum(_ family: String, _ samples: [String: Double]) -> Double {
        samples.filter { $0.key.hasPrefix(family + "{") }.values.reduce(0, +)
    }

    static func checkTables(_ database: TestDatabase, storedGood: Int) throws {
        let s = database.schema
        #expect(database.count("SELECT count(*) FROM \(s).good") == storedGood)
        #expect(database.count("SELECT count(*) FROM \(s).checked") == 5)
        #expect(database.count("SELECT count(*) FROM \(s).linemaster_rejects WHERE sqlstate = '23514'") == 5)
        #expect(database.count("SELECT count(*) FROM \(s).linemaster_rejects WHERE line IS NOT NULL") == 10)
        #expect(database.count("SELECT count(*) FROM pg_tables WHERE schemaname = '\(s)' AND tablename = 'skipme'") == 0)
    }

    @Test func aMixedWorkloadOverUDPAddsUpExactlyAgainstTheSenderAndTheTables() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        try Self.prepare(database)
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(database, receivers: """
            [[worker]]
            name = "listener"
            executable = "linemaster-listener"
            listen = ["udp://127.0.0.1:\(port)"]
            receive_buffer = "16MiB"
            flags = ["shared-memory"]
            """))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        let sender = UDPSender(port: port)
        for chunk in stride(from: 0, to: Self.mixed.count, by: 11) {
            sender.send(Self.mixed[chunk ..< min(chunk + 11, Self.mixed.count)].joined(separator: "\n"))
        }
        try waitUntil("the mixed lines are stored") { database.count("SELECT count(*) FROM \(database.schema).checked") == 5 }

        // The burst: 300 datagrams of 8 wide rows (2.2 MB) into a 1 MiB ring nobody drains.
        let inserter = try #require(supervisor.worker("inserter")).pid
        kill(inserter, SIGSTOP)
        let burst = String(repeating: Self.wideLine + "\n", count: 8)
        for _ in 0 ..< 300 { sender.send(burst); usleep(200) }
        try waitUntil("every burst datagram the kernel kept is counted") {
            Int(supervisor.status()["listener"]?["datagrams"] ?? "0")! + KernelSockets.udpDrops(port: port) == 7 + 300
        }
        kill(inserter, SIGCONT)
        try waitUntil("the ring is empty") { supervisor.ring()["used_bytes"] == "0" }

        let sent = Self.mixed.count + 300 * 8
        let kernelDropped = KernelSockets.udpDrops(port: port) * 8
        let (balance, text, prometheus) = try Self.balance(supervisor)
        let dropped = try #require(balance["rows_dropped"] as? Int)
        #expect(dropped > 0)
        #expect(balance["received"] as? Int == sent - kernelDropped)
        #expect(balance["stored"] as? Int == 50 + 5 + 2400 - kernelDropped - dropped)
        #expect(balance["lines_rejected"] as? Int == 10 && balance["rows_rejected"] as? Int == 5 && balance["rows_skipped"] as? Int == 7)
        #expect(balance["rows_parked"] as? Int == 0 && balance["in_ring"] as? Int == 0 && balance["adds_up"] as? Bool == true)
        #expect(text.contains("in the ring 0: adds up"), "\(text)")
        try Self.checkTables(database, storedGood: 50 + 2400 - kernelDropped - dropped)

        let received = Self.sum("linemaster_lines_received_total", prometheus)
        #expect(received + Self.sum("linemaster_datagrams_dropped_total", prometheus) * 8 == Double(sent))
        #expect(received == Self.sum("linemaster_rows_stored_total", prometheus) + Self.sum("linemaster_lines_rejected_total", prometheus)
                + Self.sum("linemaster_rows_rejected_total", prometheus) + Self.sum("linemaster_rows_dropped_total", prometheus)
                + Self.sum("linemaster_rows_skipped_total", prometheus))
        #expect(prometheus[#"linemaster_rows_rejected_total{"reason":"constraint","worker":"inserter"}"#] == 5)
    }

    @Test func aMixedWorkloadOverHTTPAddsUpExactlyAgainstTheAnswersAndTheTables() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        try Self.prepare(database)
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(database, receivers: """
            [[worker]]
            name = "http"
            executable = "linemaster-http"
            listen = ["tcp://127.0.0.1:\(port)"]
            flags = ["shared-memory", "http"]
            """))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["http", "inserter"])
        let url = "http://127.0.0.1:\(port)"
        try waitUntil("the HTTP worker answers /ping") { curl(["\(url)/ping"]).response?.status == 204 }
        #expect(curl(["--data-binary", Self.mixed.joined(separator: "\n"), "\(url)/write"]).response?.status == 400)
        try waitUntil("the mixed lines are stored") { database.count("SELECT count(*) FROM \(database.schema).checked") == 5 }

        // The burst: requests of 100 wide rows (90 KB) into a 1 MiB ring nobody drains; a full
        // ring refuses a request whole (503), so nothing of it was received.
        let inserter = try #require(supervisor.worker("inserter")).pid
        kill(inserter, SIGSTOP)
        let burst = String(repeating: Self.wideLine + "\n", count: 100)
        var answers: [Int: Int] = [:]
        for _ in 0 ..< 20 { answers[curl(["--data-binary", burst, "\(url)/write"]).response?.status ?? 0, default: 0] += 1 }
        kill(inserter, SIGCONT)
        #expect(answers[503] ?? 0 > 0 && (answers[204] ?? 0) + (answers[503] ?? 0) == 20, "\(answers)")
        try waitUntil("the ring is empty") { supervisor.ring()["used_bytes"] == "0" }

        let acknowledged = (answers[204] ?? 0) * 100
        let (balance, text, prometheus) = try Self.balance(supervisor)
        #expect(balance["received"] as? Int == Self.mixed.count + acknowledged)
        #expect(balance["stored"] as? Int == 50 + 5 + acknowledged)
        #expect(balance["lines_rejected"] as? Int == 10 && balance["rows_rejected"] as? Int == 5 && balance["rows_skipped"] as? Int == 7)
        #expect(balance["rows_dropped"] as? Int == 0 && balance["in_ring"] as? Int == 0 && balance["adds_up"] as? Bool == true)
        #expect(text.contains("in the ring 0: adds up"), "\(text)")
        try Self.checkTables(database, storedGood: 50 + acknowledged)
        #expect(prometheus[#"linemaster_http_requests_total{"code":"503","endpoint":"/write","worker":"http"}"#] == Double(answers[503] ?? 0))
        #expect(prometheus[#"linemaster_http_requests_total{"code":"400","endpoint":"/write","worker":"http"}"#] == 1)
    }

    @Test func aRowNoPartitionOfItsTableTakesIsRejectedForThatReason() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let s = database.schema
        _ = try database.psql("""
            CREATE TABLE \(s).parted (_time timestamptz, _tags jsonb, _fields jsonb) PARTITION BY RANGE (_time);
            CREATE TABLE \(s).parted_2020 PARTITION OF \(s).parted FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
            """)
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send("parted,host=a v=1 1577880000000000000\nparted,host=a v=2 1893456000000000000")
        try waitUntil("one row is stored and one rejected") {
            database.count("SELECT (SELECT count(*) FROM \(s).parted) * 10 + (SELECT count(*) FROM \(s).linemaster_rejects)") == 11
        }
        #expect(try database.psql("SELECT sqlstate || ' ' || left(error, 24) FROM \(s).linemaster_rejects") == "23514 no partition of relation")
        #expect(supervisor.status()["inserter"]?["rejects_no_partition"] == "1")
        let samples = try PrometheusExposition.parse(supervisor.control(["status", "-D", supervisor.dataDirectory, "--prometheus"]).output)
        #expect(samples[#"linemaster_rows_rejected_total{"reason":"no_partition","worker":"inserter"}"#] as? Double == 1)
        #expect(samples[#"linemaster_rows_rejected_total{"reason":"constraint","worker":"inserter"}"#] as? Double == 0)
    }

    @Test func parkedRowsThatARetryRejectsLeaveTheParkedTermAndTheBalanceAddsUp() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let s = database.schema
        _ = try database.psql("""
            CREATE TABLE \(s).locked (_time timestamptz, _tags jsonb, _fields jsonb, v double precision);
            CREATE FUNCTION \(s).refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by test' USING ERRCODE = '42501'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON \(s).locked FOR EACH ROW EXECUTE FUNCTION \(s).refuse();
            """)
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send((0 ..< 20).map { "locked,host=a v=\($0 - 10)" }.joined(separator: "\n"))
        try waitUntil("the rows are parked") { database.count("SELECT count(*) FROM \(s).linemaster_parked") == 20 }
        _ = try database.psql("DROP TRIGGER refuse ON \(s).locked; ALTER TABLE \(s).locked ADD CHECK (v >= 0)")
        try waitUntil("the parked rows are stored or rejected", timeout: .seconds(60)) {
            database.count("SELECT count(*) FROM \(s).linemaster_parked") == 0
        }
        #expect(database.count("SELECT count(*) FROM \(s).locked") == 10)
        #expect(database.count("SELECT count(*) FROM \(s).linemaster_rejects WHERE sqlstate = '23514'") == 10)
        let (balance, text, _) = try Self.balance(supervisor)
        #expect(balance["received"] as? Int == 20 && balance["stored"] as? Int == 10 && balance["rows_rejected"] as? Int == 10)
        #expect(balance["rows_parked"] as? Int == 0 && balance["in_ring"] as? Int == 0 && balance["adds_up"] as? Bool == true)
        #expect(text.contains("parked 0 + in the ring 0: adds up"), "\(text)")
        #expect(supervisor.status()["inserter"]?["parked_rows_rejected"] == "10")
    }

    /// Keys a table has no place for (no column, no `_tags`/`_fields`, `add_columns` off) are
    /// counted; their rows are stored and count as stored.
    @Test func keysWithNoPlaceAreCountedAndTheirRowsStored() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let s = database.schema
        _ = try database.psql("CREATE TABLE \(s).narrow (_time timestamptz, v double precision)")
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send("narrow,host=a,dc=x v=1,extra=2")
        try waitUntil("the row is stored") { database.count("SELECT count(*) FROM \(s).narrow WHERE v = 1") == 1 }
        try waitUntil("its dropped keys are counted") { supervisor.status()["inserter"]?["keys_dropped"] == "3" }
        let samples = try PrometheusExposition.parse(supervisor.control(["status", "-D", supervisor.dataDirectory, "--prometheus"]).output)
        #expect(samples[#"linemaster_keys_dropped_total{"worker":"inserter"}"#] as? Double == 3)
        let (balance, _, _) = try Self.balance(supervisor)
        #expect(balance["stored"] as? Int == 1 && balance["adds_up"] as? Bool == true)
    }
}
