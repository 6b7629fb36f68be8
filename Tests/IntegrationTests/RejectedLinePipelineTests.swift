import Glibc
import Testing

/// Lines that cannot be parsed, through the real listener, ring and inserter into
/// `linemaster_rejects`: kept once, within the listener's limit, and counted in `status`.
@Suite struct RejectedLinePipeline {
    /// The rows of `linemaster_rejects` that came from lines, as `line|error|source`.
    private func keptLines(_ database: TestDatabase) throws -> [String] {
        try database.psql("SELECT line, error, source FROM \(database.schema).linemaster_rejects WHERE line IS NOT NULL ORDER BY line")
            .split(separator: "\n").map(String.init)
    }

    private func counter(_ name: String, of supervisor: SupervisorProcess) -> Int {
        supervisor.status().filter { $0.key.hasPrefix("listener") }.map { Int($0.value[name] ?? "0")! }.reduce(0, +)
    }

    @Test func aBadLineIsKeptOnceWithItsReasonAndSourceAndTheGoodLinesAreStored() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send("cpu,host=a usage=1 1\ncpu usage=12x 2\ncpu,host=b usage=2 3\n")
        let s = database.schema
        try waitUntil("the good rows and the bad line are stored") {
            database.count("SELECT (SELECT count(*) FROM \(s).cpu) + (SELECT count(*) FROM \(s).linemaster_rejects)") == 3
        }
        let parse = Binaries.runSeparately("linemaster", ["parse"], stdin: "cpu usage=12x 2")
        let reason = parse.stderr.trimmingCharacters(in: "\n")
        #expect(reason.hasPrefix("line 1: column "))
        let kept = try keptLines(database)
        #expect(kept.count == 1)
        #expect(kept.first?.hasPrefix("cpu usage=12x 2|\(reason)|udp://127.0.0.1:\(port) from 127.0.0.1:") == true, "\(kept)")
        #expect(kept.first?.hasSuffix(" (listener)") == true, "\(kept)")
        #expect(try database.psql("SELECT _tags->>'host' FROM \(s).cpu ORDER BY 1") == "a\nb")
        #expect(try database.psql("SELECT sqlstate IS NULL AND measurement IS NULL AND \"row\" IS NULL FROM \(s).linemaster_rejects") == "t")
        #expect(counter("lines_rejected", of: supervisor) == 1)
        #expect(counter("rejected_lines_kept", of: supervisor) == 1)
        #expect(counter("rejected_lines_not_kept", of: supervisor) == 0)
        #expect(supervisor.control(["status", "-D", supervisor.dataDirectory]).output.contains("rejected lines kept 1"))
    }

    /// 3,000 bad lines at once: the burst (1,000) and what the rate adds while they arrive are
    /// kept, the rest only counted; every line is counted once, as kept or not.
    @Test func aFloodOfGarbageKeepsOnlyWhatTheLimitAllowsAndCountsTheRest() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter"])
        try supervisor.waitForListeners(["listener"])
        let sender = UDPSender(port: port)
        let started = ContinuousClock.now
        for datagram in 0..<30 {
            sender.send((0..<100).map { "garbage \(datagram * 100 + $0)" }.joined(separator: "\n"))
        }
        try waitUntil("every line is counted") { counter("lines_rejected", of: supervisor) == 3000 }
        let elapsed = ContinuousClock.now - started
        let kept = counter("rejected_lines_kept", of: supervisor)
        let notKept = counter("rejected_lines_not_kept", of: supervisor)
        let allowed = 1000 + 100 * (Int(elapsed.components.seconds) + 1)
        #expect(kept + notKept == 3000)
        #expect(kept >= 1000 && kept <= allowed, "kept \(kept), allowed \(allowed) in \(elapsed)")
        try waitUntil("the kept lines are stored") {
            database.count("SELECT count(*) FROM \(database.schema).linemaster_rejects") == kept
        }
        #expect(database.count("SELECT count(DISTINCT line) FROM \(database.schema).linemaster_rejects") == kept)
        #expect(supervisor.log().contains("rejected line 1: column "), "the first rejection is logged at once")
    }

    /// Inserters killed while batches with rejected lines are in flight: each line is stored
    /// once, like the rows beside it.
    @Test func rejectedLinesInFlightWhenAnInserterIsKilledAreStoredOnce() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Pipeline.config(port: port, database: database, inserters: 2, batchRows: 10))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["listener", "inserter 1", "inserter 2"])
        try supervisor.waitForListeners(["listener"])
        let sender = UDPSender(port: port)
        let datagrams = 600
        var kills = 0
        for i in 0..<datagrams {
            sender.send("cpu seq=\(i)i \(i + 1)\nbad line \(i)")
            if i % 150 == 75 {
                let name = "inserter \(i / 150 % 2 + 1)"
                if let pid = try supervisor.waitForWorkers([name])[name], kill(pid, SIGKILL) == 0 { kills += 1 }
            }
            usleep(500)
        }
        let s = database.schema
        try waitUntil("every row and every bad line is stored", timeout: .seconds(60)) {
            database.count("SELECT count(*) FROM \(s).linemaster_rejects") >= datagrams
                && database.count("SELECT count(*) FROM \(s).cpu") >= datagrams && supervisor.ring()["used_bytes"] == "0"
        }
        #expect(try database.psql("SELECT count(*), count(DISTINCT line) FROM \(s).linemaster_rejects") == "\(datagrams)|\(datagrams)")
        #expect(try database.psql("SELECT count(*), count(DISTINCT _fields->>'seq') FROM \(s).cpu") == "\(datagrams)|\(datagrams)")
        #expect(kills == 4)
    }
}
