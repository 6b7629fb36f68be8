import Glibc
import Testing

/// The embedded PostgreSQL worker: created on first start, and a database that goes away and
/// comes back costs no accepted row.
@Suite struct EmbeddedDatabase {
    static func config(port: UInt16) -> String {
        """
        [supervisor]
        shutdown_timeout = "5s"
        [[worker]]
        name = "listener"
        executable = "linemaster-listener"
        listen = ["udp://127.0.0.1:\(port)"]
        flags = ["shared-memory"]
        [[worker]]
        name = "inserter"
        executable = "linemaster-inserter"
        flags = ["shared-memory", "database"]
        start = "database-ready"
        [[worker]]
        name = "postgres"
        executable = "linemaster-postgres"
        restart = "1s"
        """
    }

    @Test func rowsWaitInTheRingWhileTheDatabaseIsDownAndFlowWhenItIsBack() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port))
        // The server runs as postgres when the tests run as root: it must get through to its directory.
        chmod(supervisor.directory, 0o711)
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter", "postgres"], timeout: .seconds(90))
        try supervisor.waitForListeners(["listener"])
        let psql = { (sql: String) in
            Binaries.runProgram("/usr/bin/psql", ["host=\(supervisor.dataDirectory)/postgres port=5432 user=postgres dbname=postgres", "-Atc", sql]).output
                .trimmingCharacters(in: "\n")
        }
        let sender = UDPSender(port: port)
        sender.send((0..<50).map { "cpu seq=\($0)i" }.joined(separator: "\n"))
        try waitUntil("50 rows are stored", timeout: .seconds(30)) { psql("SELECT count(*) FROM cpu") == "50" }

        let wrapper = try #require(supervisor.worker("postgres"))
        let server = try #require(ProcessInfoSnapshot.all().first { $0.parentPid == wrapper.pid })
        kill(server.pid, SIGINT)
        try waitUntil("the server is down") { !ProcessInfoSnapshot.isRunning(server.pid) }
        sender.send((50..<100).map { "cpu seq=\($0)i" }.joined(separator: "\n"))
        try waitUntil("the rows wait in the ring") { supervisor.ring()["rows_in"] == "100" }

        try waitUntil("all 100 rows are stored once", timeout: .seconds(60)) {
            psql("SELECT count(DISTINCT (_fields->>'seq')::int) || '/' || count(*) FROM cpu") == "100/100"
        }
        #expect(supervisor.log().contains("retrying"))
    }
}
