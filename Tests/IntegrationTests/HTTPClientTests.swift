import Glibc
import Testing

/// The HTTP worker against the InfluxDB client libraries people run (from PyPI, installed by
/// scripts/install-deps), through the real supervisor, ring and inserters into PostgreSQL.
@Suite struct HTTPClients {
    @Test func pythonInfluxDBPingsCreatesTheDatabaseAndWritesTypedPointsInGzipBatches() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let setup = HTTPWorkerSetup(database: database)
        try setup.start()

        let client = runClient("influxdb_v1_points.py", [String(setup.port), "1000", "300"])

        #expect(client.status == 0, "\(client.output)")
        #expect(client.output == "version 1.8.10\nwritten 1000\n")
        let s = database.schema
        try waitUntil("1000 rows are stored") { database.count("SELECT count(*) FROM \(s).weather") == 1000 }
        let types = try database.psql("""
            SELECT jsonb_typeof(_fields->'temp'), jsonb_typeof(_fields->'count'), jsonb_typeof(_fields->'note'),
                   jsonb_typeof(_fields->'ok'), count(*), count(DISTINCT _time)
            FROM \(s).weather GROUP BY 1, 2, 3, 4
            """)
        #expect(types == "number|number|string|boolean|1000|1000")
        let row = try database.psql("""
            SELECT _time, _tags->>'city', _fields->>'temp', _fields->>'count', _fields->>'note', _fields->>'ok'
            FROM \(s).weather WHERE (_fields->>'count')::int = 7
            """)
        #expect(row == #"2023-11-14 22:13:27+00|c1|7.5|7|say "hi" \ 7|false"#)
    }

    @Test func influxDBClientSynchronousWritesOfPointsAndLineStringsAreStored() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let setup = HTTPWorkerSetup(database: database)
        try setup.start()

        let client = runClient("influxdb_client_sync.py", [String(setup.port)])

        #expect(client.status == 0, "\(client.output)")
        #expect(client.output == "written 3\n")
        let s = database.schema
        try waitUntil("3 rows are stored") { database.count("SELECT count(*) FROM \(s).cpu") == 3 }
        let rows = try database.psql("""
            SELECT _time, _tags->>'host', _fields->>'usage', jsonb_typeof(_fields->'cores'), _fields->>'cores', _fields->>'model'
            FROM \(s).cpu ORDER BY _time
            """)
        #expect(rows == """
            2023-11-14 22:13:20+00|a|0.25|number|8|x86 64
            2023-11-14 22:13:20.001+00|b|0.75|number|4|arm
            2023-11-14 22:13:20.002+00|c|1.5|number|2|riscv
            """)
    }

    /// A 1MiB ring and no inserter: the ring fills, the worker answers 429 with Retry-After, the
    /// client retries. A reload then adds an inserter, the ring drains, and the retries get in.
    /// A request is published whole or not at all, so nothing answered 429 is stored twice.
    @Test func influxDBClientBatchingRetriesAFullRingUntilEveryRowIsStoredOnce() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let setup = HTTPWorkerSetup(database: database, inserters: 0, ring: "1MiB")
        try setup.start()
        let log = setup.supervisor.directory + "/client.log"
        let points = 30_000

        let client = spawnClient("influxdb_client_batching.py", [String(setup.port), String(points), "1000"], logPath: log)
        try waitUntil("the client retries a write", timeout: .seconds(60)) { (readFile(log) ?? "").contains("retry the ring is full: retry later") }
        #expect(setup.rowsIn() < points)
        setup.supervisor.writeConfig(HTTPWorkerSetup.config(
            port: setup.port, http: "", httpWorkers: 1, database: database, inserters: 1, ring: "1MiB", extra: ""))
        #expect(setup.supervisor.control(["reload", "-D", setup.supervisor.dataDirectory]).status == 0)

        #expect(waitForChild(client) == 0, "\(readFile(log) ?? "")")
        let output = readFile(log) ?? ""
        #expect(output.hasSuffix("done\n"))
        #expect(!output.contains("failed"), "\(output)")
        try waitUntil("every row is stored", timeout: .seconds(30)) {
            database.count("SELECT count(*) FROM \(database.schema).load") >= points && setup.supervisor.ring()["used_bytes"] == "0"
        }
        let stored = try database.psql("SELECT count(*), count(DISTINCT (_fields->>'seq')::int) FROM \(database.schema).load")
        #expect(stored == "\(points)|\(points)")
    }

    /// `ack = "ring"`: a 204 means every row of the request is in the ring, which outlives the
    /// worker. HTTP workers are SIGKILLed (each a crash restart of every shared-memory worker)
    /// while a client streams writes and retries every request until it gets a 204. Every row is
    /// stored; a row is stored twice only when its request was retried: its first attempt may
    /// have been published before the worker died, and the client could not know.
    @Test func everyRowAnsweredWithRingAckIsStoredWhileHTTPWorkersAreKilled() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let setup = HTTPWorkerSetup(httpWorkers: 2, database: database)
        try setup.start(httpWorkers: 2)
        let progress = setup.supervisor.directory + "/progress.txt"
        let log = setup.supervisor.directory + "/client.log"
        let (requests, lines) = (600, 100)

        let client = spawnClient("streaming_writer.py", [String(setup.port), String(requests), String(lines), progress], logPath: log)
        for (round, acked) in [100, 250, 400].enumerated() {
            try waitUntil("\(acked) requests are answered 204", timeout: .seconds(60)) { Self.acknowledged(progress) >= acked }
            let victim = "http \(round % 2 + 1)"
            kill(try #require(setup.supervisor.waitForWorkers([victim])[victim]), SIGKILL)
            #expect(Self.acknowledged(progress) < requests, "the client finished before kill \(round + 1)")
        }

        #expect(waitForChild(client) == 0, "\(readFile(log) ?? "")")
        let retried = Set((readFile(log) ?? "").split(separator: "\n").first { $0.hasPrefix("retried") }?.split(separator: " ").dropFirst().compactMap { Int($0) } ?? [])
        let s = database.schema
        try waitUntil("every row is stored", timeout: .seconds(60)) {
            database.count("SELECT count(DISTINCT (_fields->>'seq')::int) FROM \(s).stream") == requests * lines && setup.supervisor.ring()["used_bytes"] == "0"
        }
        let duplicated = try database.psql("""
            SELECT DISTINCT (_fields->>'seq')::int / \(lines) FROM \(s).stream GROUP BY _fields->>'seq' HAVING count(*) > 1 ORDER BY 1
            """).split(separator: "\n").compactMap { Int($0) }
        #expect(Set(duplicated).isSubset(of: retried), "rows stored twice of requests answered 204 at their first attempt: \(Set(duplicated).subtracting(retried).sorted())")
    }

    /// `ack = "commit"`: a 204 means the rows are committed in PostgreSQL, checked with psql the
    /// moment each answer arrives. With the inserter stopped (SIGSTOP), a request's rows reach the
    /// ring and no answer comes; the inserter's SIGKILL then takes the HTTP worker down in the
    /// crash restart, the client gets no 204, and its retry is answered once both copies are stored.
    @Test func everyRowAnsweredWithCommitAckIsInPostgreSQLAtTheMomentOfThe204() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let setup = HTTPWorkerSetup(http: #"ack = "commit""#, database: database)
        try setup.start()
        try setup.supervisor.waitForWorkers(["inserter"])
        let s = database.schema
        let write = CommitWriter(setup: setup, lines: 50)

        for request in 0..<10 {
            #expect(write.post(request).response?.status == 204)
            #expect(database.count("SELECT count(*) FROM \(s).acked WHERE (_fields->>'seq')::int / 50 = \(request)") == 50, "request \(request)")
        }
        let inserter = try #require(setup.supervisor.worker("inserter"))
        kill(inserter.pid, SIGSTOP)
        let before = setup.rowsIn()
        let pending = write.spawn(10)
        try waitUntil("request 10 is in the ring") { setup.rowsIn() == before + 50 }
        #expect(ProcessInfoSnapshot.isRunning(pending.pid), "answered before its rows were committed: \(write.answer(pending))")
        #expect(database.count("SELECT count(*) FROM \(s).acked WHERE (_fields->>'seq')::int / 50 = 10") == 0)
        kill(inserter.pid, SIGKILL)
        _ = waitForChild(pending.pid)
        #expect(write.answer(pending) == 0, "the killed worker's client got an answer")

        try setup.supervisor.waitForWorkers(["http", "inserter"])
        try waitUntil("the retry of request 10 is answered 204") { write.post(10).response?.status == 204 }
        #expect(try database.psql("SELECT count(*), count(DISTINCT _fields->>'seq') FROM \(s).acked WHERE (_fields->>'seq')::int / 50 = 10") == "100|50")
        for request in 11..<20 {
            #expect(write.post(request).response?.status == 204)
            #expect(database.count("SELECT count(*) FROM \(s).acked WHERE (_fields->>'seq')::int / 50 = \(request)") == 50, "request \(request)")
        }
    }

    private static func acknowledged(_ progress: String) -> Int {
        (readFile(progress) ?? "").split(separator: "\n").count
    }
}

/// Requests of `lines` rows of `acked`, request r carrying seq r*lines ..< (r+1)*lines, sent with curl.
private struct CommitWriter {
    let setup: HTTPWorkerSetup
    let lines: Int

    func post(_ request: Int) -> (exit: Int32, response: WireResponse?) {
        curl(["-XPOST", setup.url + "/write?db=metrics", "--data-binary", "@" + bodyFile(request)])
    }

    /// Starts a curl for the request in the background: its pid and the file of its status code.
    func spawn(_ request: Int) -> (pid: pid_t, statusFile: String) {
        let statusFile = setup.supervisor.directory + "/status-\(request).txt"
        let pid = Binaries.spawnProgram("/usr/bin/curl", [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "-XPOST", setup.url + "/write?db=metrics",
            "--data-binary", "@" + bodyFile(request),
        ], logPath: statusFile)
        return (pid, statusFile)
    }

    /// The status code a spawned curl printed: 0 when it got no response.
    func answer(_ spawned: (pid: pid_t, statusFile: String)) -> Int {
        Int(readFile(spawned.statusFile) ?? "") ?? -1
    }

    private func bodyFile(_ request: Int) -> String {
        let path = setup.supervisor.directory + "/request-\(request).txt"
        let body = (0..<lines).map { i in "acked,client=curl seq=\(request * lines + i)i \(1_700_000_000 + request * lines + i)000000000\n" }.joined()
        writeFile(path, body)
        return path
    }
}
