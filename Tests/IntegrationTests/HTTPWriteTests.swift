import Glibc
import Testing

/// InfluxDB's write API over HTTP, served by the real `linemaster-http` worker, written to with curl
/// as a user would, and what it stored looked at in PostgreSQL.
@Suite struct HTTPWrites {
    static func config(port: UInt16, database: TestDatabase, ring: String = "32MiB", http: String = "", inserter: Bool = true) -> String {
        HTTPWorkerSetup.config(port: port, http: http, httpWorkers: 1, database: database, inserters: inserter ? 1 : 0, ring: ring, extra: "")
    }

    /// Runs curl; its output is the status code, then what `extra` asks for.
    static func curl(_ arguments: [String]) -> String {
        Binaries.runProgram("/usr/bin/curl", ["-s", "--max-time", "20"] + arguments).output
    }

    static func post(_ port: UInt16, _ path: String, _ body: String, headers: [String] = []) -> (status: String, body: String) {
        let output = curl(["-w", "\n%{http_code}", "-XPOST", "http://127.0.0.1:\(port)\(path)", "--data-binary", body]
                          + headers.flatMap { ["-H", $0] })
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
    }

    func started(_ config: String) throws -> SupervisorProcess {
        let supervisor = SupervisorProcess(config: config)
        try supervisor.startReady()
        try supervisor.waitForWorkers(["http"])
        try waitUntil("the http worker serves") { Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/ping"]) == "204" }
        return supervisor
    }

    let port = UDPSender.freshPort()

    @Test func writesOfBothAPIVersionsAreStoredWithTheirPrecisionAndDatabaseTag() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = try started(Self.config(port: port, database: database, http: #"database_tag = "db""#))
        let gzipped = Binaries.runProgram("/bin/sh", ["-c", "printf 'cpu,host=gz v=3i 1700000002\\n' | gzip | base64 -w0"]).output
        #expect(Self.post(port, "/write?db=telegraf&precision=s", "cpu,host=a v=1 1700000000").status == "204")
        #expect(Self.post(port, "/api/v2/write?bucket=b2&org=o&precision=ms", "cpu,host=b v=2 1700000001000").status == "204")
        let viaGzip = Binaries.runProgram("/bin/sh", ["-c",
            "echo \(gzipped) | base64 -d | curl -s -o /dev/null -w '%{http_code}' -H 'Content-Encoding: gzip' --data-binary @- 'http://127.0.0.1:\(port)/write?precision=s'"]).output
        #expect(viaGzip == "204")
        try waitUntil("three rows are stored") { database.count("SELECT count(*) FROM \(database.schema).cpu") == 3 }
        let rows = try database.psql("SELECT extract(epoch FROM _time)::bigint, _tags->>'host', _tags->>'db', _fields->>'v' FROM \(database.schema).cpu ORDER BY 1")
        #expect(rows == "1700000000|a|telegraf|1.0\n1700000001|b|b2|2.0\n1700000002|gz||3")
        _ = supervisor
    }

    @Test func aPartialWriteStoresEveryGoodLineAndNamesTheFirstBadOne() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = try started(Self.config(port: port, database: database))
        let answer = Self.post(port, "/write", "cpu v=1 1\ncpu v= 2\ncpu v=3 3\nmem")
        #expect(answer.status == "400")
        #expect(answer.body.hasPrefix(#"{"error":"partial write: unable to parse 'cpu v= 2': "#), "\(answer.body)")
        #expect(answer.body.hasSuffix(#" dropped=2"}"#))
        let v2 = Self.post(port, "/api/v2/write?bucket=b", "bad")
        #expect(v2.status == "400" && v2.body.hasPrefix(#"{"code":"invalid","message":"unable to parse 'bad': "#), "\(v2.body)")
        try waitUntil("the good lines are stored") { database.count("SELECT count(*) FROM \(database.schema).cpu") == 2 }
        try waitUntil("the bad lines are kept") { database.count("SELECT count(*) FROM \(database.schema).linemaster_rejects") == 3 }
        let kept = try database.psql("SELECT line, source LIKE 'http://127.0.0.1:\(port) from 127.0.0.1:% (http)' FROM \(database.schema).linemaster_rejects ORDER BY line")
        #expect(kept == "bad|t\ncpu v= 2|t\nmem|t")
        _ = supervisor
    }

    @Test func withAckCommitEveryRowIsInPostgreSQLWhenItsAnswerArrives() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = try started(Self.config(port: port, database: database, http: #"ack = "commit""#))
        try supervisor.waitForWorkers(["inserter"])
        for request in 0 ..< 10 {
            let body = (0 ..< 100).map { "cpu,r=\(request) seq=\(request * 100 + $0)i" }.joined(separator: "\n")
            #expect(Self.post(port, "/write", body).status == "204")
            #expect(database.count("SELECT count(*) FROM \(database.schema).cpu") == (request + 1) * 100)
        }
    }

    /// A ring too small for the load: nothing of a request answered 503/429 is stored, so the
    /// client's retry stores it once; everything answered 204 is stored once the inserter runs.
    @Test func aFullRingRefusesWholeRequestsWhichTheRetryStoresOnce() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = try started(Self.config(port: port, database: database, ring: "1MiB", inserter: false))
        var acknowledged = 0, request = 0
        func body(_ request: Int) -> String { (0 ..< 1000).map { "cpu,host=h seq=\(request * 1000 + $0)i" }.joined(separator: "\n") }
        while true {
            let status = Self.post(port, "/write", body(request)).status
            if status != "204" {
                #expect(status == "503")
                break
            }
            acknowledged += 1000
            request += 1
            try #require(request < 1000, "the ring never filled")
        }
        let refused = Self.curl(["-i", "-XPOST", "http://127.0.0.1:\(port)/api/v2/write?bucket=b", "--data-binary", body(-1)])
        #expect(refused.hasPrefix("HTTP/1.1 429"))
        #expect(refused.lowercased().contains("retry-after: 1"))
        supervisor.writeConfig(Self.config(port: port, database: database, ring: "1MiB"))
        #expect(supervisor.control(["reload", "-D", supervisor.dataDirectory]).status == 0)
        try waitUntil("every acknowledged row is stored", timeout: .seconds(30)) {
            database.count("SELECT count(*) FROM \(database.schema).cpu") == acknowledged && supervisor.ring()["used_bytes"] == "0"
        }
        #expect(database.count("SELECT count(DISTINCT _fields->>'seq') FROM \(database.schema).cpu") == acknowledged)
        #expect(database.count("SELECT count(*) FROM \(database.schema).cpu WHERE (_fields->>'seq')::int >= \(acknowledged) OR (_fields->>'seq')::int < 0") == 0)
    }

    @Test func aKilledHTTPWorkerRefusesNoConnection() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = try started(Self.config(port: port, database: database))
        let worker = try #require(supervisor.worker("http"))
        kill(worker.pid, SIGKILL)
        // The supervisor's socket queues the connection until the restarted worker accepts it.
        #expect(Self.post(port, "/write", "cpu v=1").status == "204")
        try waitUntil("the row is stored") { database.count("SELECT count(*) FROM \(database.schema).cpu") == 1 }
        #expect(supervisor.worker("http")?.pid != worker.pid)
    }

    @Test func probesAndUnknownRoutesAnswerAsInfluxDBDoes() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let supervisor = try started(Self.config(port: port, database: database))
        let base = "http://127.0.0.1:\(port)"
        let code = ["-o", "/dev/null", "-w", "%{http_code}"]
        #expect(Self.curl(code + ["-I", "\(base)/ping"]) == "204")
        #expect(Self.curl(["\(base)/ping?verbose=true"]) == #"{"version":"1.8.10"}"#)
        #expect(Self.curl(["-D", "-", "-o", "/dev/null", "\(base)/ping"]).contains("X-Influxdb-Version: 1.8.10"))
        #expect(Self.curl(["\(base)/health"]).contains(#""status":"pass""#))
        #expect(Self.curl(["\(base)/query", "--data-urlencode", "q=CREATE DATABASE telegraf"]) == #"{"results":[{"statement_id":0}]}"#)
        #expect(Self.curl(code + ["\(base)/nowhere"]) == "404")
        #expect(Self.curl(code + ["\(base)/write"]) == "405")
        _ = supervisor
    }
}
