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
        listen = ["udp://127.0.0.1:\(port)"]
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
        let sent = try #require(linesSent(readFile(loadLog) ?? ""), "no summary from linemaster-load")
        let delivered = sent - KernelSockets.udpDrops(port: port) * perDatagram

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
        #expect(listeners.allSatisfy { supervisor.worker($0)?.pid == before[$0] }, "a listener restarted")
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
