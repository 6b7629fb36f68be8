import Glibc
import Testing

/// PostgreSQL crashing under load costs no line the kernel accepted, and stores none twice, even
/// where the server's default lets COMMIT return before its WAL is written
/// (`synchronous_commit = off`, a common tuning for metrics).
@Suite struct ServerCrash {
    static func config(port: UInt16, cluster: PrivateCluster) -> String {
        """
        [supervisor]
        shutdown_timeout = "3s"
        [ring]
        size = "32MiB"
        [database]
        url = "\(cluster.url)"
        [[worker]]
        name = "listener"
        executable = "linemaster-listener"
        args = ["--udp", "127.0.0.1:\(port)"]
        flags = ["shared-memory"]
        count = 2
        [[worker]]
        name = "inserter"
        executable = "linemaster-inserter"
        flags = ["shared-memory", "database"]
        start = "database-ready"
        count = 2
        """
    }

    @Test func everyLineTheKernelAcceptedIsStoredOnceAcrossAnImmediateStopWithSynchronousCommitOff() throws {
        let cluster = try PrivateCluster(settings: ["synchronous_commit = off"])
        try cluster.start()
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, cluster: cluster))
        try supervisor.startReady()
        let listeners = ["listener 1", "listener 2"]
        let before = try supervisor.waitForWorkers(listeners + ["inserter 1", "inserter 2"], timeout: .seconds(20))
        try supervisor.waitForListeners(listeners)

        // 8 s at 15,000 lines/s; the server crashes 3 s in, while both inserters commit batches.
        let lines = 120_000, perDatagram = 10
        let loadLog = supervisor.directory + "/load.log"
        let load = Binaries.spawn("linemaster-load", [
            "127.0.0.1:\(port)", "-n", String(lines), "--rate", "15000", "--lines-per-datagram", String(perDatagram),
        ], logPath: loadLog)
        usleep(3_000_000)
        try cluster.crash()
        try cluster.start()
        #expect(waitForExit(load, timeout: .seconds(30)) == 0)
        let sent = try #require(Self.linesSent(readFile(loadLog) ?? ""), "no summary from linemaster-load")
        // Read while the listeners' sockets are open: their drop counts close with them.
        let delivered = sent - UDPSocketTable.drops(port: port) * perDatagram

        // Drained once every delivered line reached the ring and the ring is empty again. A loss
        // in the kernel this test does not see would time out here: the counts below then tell.
        var ring: [String: String] = [:]
        try? waitUntil("the ring has taken \(delivered) rows and is drained", timeout: .seconds(30)) {
            ring = supervisor.ring()
            return ring["used_bytes"] == "0" && Int(ring["rows_in"] ?? "") ?? 0 >= delivered
        }
        let counts = try cluster.psql("SELECT count(*), count(DISTINCT (_fields->>'seq')::bigint) FROM cpu")
        let (stored, distinct) = try #require(counts.split(separator: "|").map { Int($0)! }.pair)
        #expect(stored == distinct, "\(stored - distinct) rows stored twice")
        #expect(distinct == delivered, "\(delivered - distinct) of \(delivered) delivered lines lost (\(sent) sent; ring: \(ring))")
        #expect(ring["dropped"] == "0", "the ring filled up: make it larger, or the load smaller")
        #expect(supervisor.log().contains("retrying"), "no inserter saw the crash")
        #expect(listeners.allSatisfy { supervisor.worker($0)?.pid == before[$0] }, "a listener restarted: its socket's drops are not counted")
    }

    /// `N` from linemaster-load's summary `sent N lines in M datagrams, ...`: the lines in
    /// datagrams the kernel took (refused ones are reported apart).
    private static func linesSent(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("sent ") }) else { return nil }
        return Int(line.split(separator: " ")[1])
    }
}

/// Reaps `pid`; its exit code, or nil if it is still running after `timeout` or died of a signal.
private func waitForExit(_ pid: pid_t, timeout: Duration) -> Int32? {
    let deadline = ContinuousClock.now + timeout
    var status: Int32 = 0
    while ContinuousClock.now < deadline {
        if waitpid(pid, &status, WNOHANG) == pid { return status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
        usleep(20_000)
    }
    kill(pid, SIGKILL)
    return nil
}
