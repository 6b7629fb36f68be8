import Glibc
import Testing

@Suite struct UDPListenerIntoTheRing {
    /// Listeners on the supervisor's socket (`listen`), or with `bindingItself` on sockets they
    /// bind themselves (`--udp`), as before the supervisor owned them.
    static func config(port: UInt16, ringSize: String = "8MiB", count: Int = 2, bindingItself: Bool = false) -> String {
        """
        [supervisor]
        shutdown_timeout = "2s"
        [ring]
        size = "\(ringSize)"
        [[worker]]
        name = "listener"
        executable = "linemaster-listener"
        \(bindingItself ? "args = [\"--udp\", \"127.0.0.1:\(port)\"]" : "listen = [\"udp://127.0.0.1:\(port)\"]")
        flags = ["shared-memory"]
        count = \(count)
        """
    }

    @Test func acceptedLinesAreCountedAndABadLineCostsOnlyItself() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port))
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener 1", "listener 2"])
        UDPSender(port: port).send("cpu,host=a usage=1\nthis is not line protocol\ncpu,host=b usage=2i 1700000000000000000\n")
        try waitUntil("two rows and the bad line are in the ring") { supervisor.ring()["rows_in"] == "3" }
        let listeners = supervisor.status().filter { $0.key.hasPrefix("listener") }.map(\.value)
        #expect(listeners.map { Int($0["lines_accepted"] ?? "0")! }.reduce(0, +) == 2)
        #expect(listeners.map { Int($0["lines_rejected"] ?? "0")! }.reduce(0, +) == 1)
        #expect(listeners.map { Int($0["rejected_lines_kept"] ?? "0")! }.reduce(0, +) == 1)
        #expect(listeners.map { Int($0["datagrams"] ?? "0")! }.reduce(0, +) == 1)
        try waitUntil("the title shows the rows") {
            supervisor.workers().contains { $0.title == "linemaster: listener 1 udp 127.0.0.1:\(port) 2 rows" || $0.title == "linemaster: listener 2 udp 127.0.0.1:\(port) 2 rows" }
        }
        #expect(supervisor.log().contains("column"))
    }

    @Test func listenersOnTheSupervisorsSocketTakeWhatAStoppedOneCannot() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port))
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener 1", "listener 2"])
        let stopped = supervisor.worker("listener 1")!.pid
        kill(stopped, SIGSTOP)
        defer { kill(stopped, SIGCONT) }
        let load = Binaries.run("linemaster-load", ["127.0.0.1:\(port)", "-n", "400", "--lines-per-datagram", "1", "--rate", "20000"])
        #expect(load.status == 0, "\(load.output)")
        try waitUntil("400 rows are in the ring") { supervisor.ring()["rows_in"] == "400" }
        #expect(supervisor.status()["listener 2"]?["datagrams"] == "400")
    }

    @Test func oneSendersDatagramsAreSpreadOverListenersThatBindTheirOwnSockets() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, bindingItself: true))
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener 1", "listener 2"])
        // linemaster-load sends from one socket: hashed by its address, all would go to one listener.
        let load = Binaries.run("linemaster-load", ["127.0.0.1:\(port)", "-n", "400", "--lines-per-datagram", "1", "--rate", "20000"])
        #expect(load.status == 0, "\(load.output)")
        try waitUntil("400 rows are in the ring") { supervisor.ring()["rows_in"] == "400" }
        let datagrams = supervisor.status().filter { $0.key.hasPrefix("listener") }.mapValues { Int($0["datagrams"] ?? "0")! }
        #expect(datagrams.values.reduce(0, +) == 400)
        #expect(datagrams.count == 2 && datagrams.values.allSatisfy { $0 >= 100 }, "\(datagrams)")
    }

    @Test func aFullRingDropsNewRowsAndCountsThem() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, ringSize: "1MiB", count: 1))
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener"])
        let line = "m,host=h value=\"" + String(repeating: "x", count: 900) + "\"\n"
        let sender = UDPSender(port: port)
        for _ in 0..<300 {
            sender.send(String(repeating: line, count: 8))
            usleep(500)
        }
        try waitUntil("drops are counted") { Int(supervisor.ring()["dropped"] ?? "0")! > 0 }
        let ring = supervisor.ring()
        #expect(Int(ring["rows_in"]!)! + Int(ring["dropped"]!)! <= 2400)
        #expect(Int(supervisor.status()["listener"]?["rows_dropped"] ?? "0")! == Int(ring["dropped"]!)!)
    }

    @Test func rowsStayInTheRingAcrossCrashRestartFastShutdownAndKill9() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(port: port, count: 1))
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["listener"])
        try supervisor.waitForListeners(["listener"])
        UDPSender(port: port).send((0..<5).map { "cpu seq=\($0)i" }.joined(separator: "\n"))
        try waitUntil("five rows are in the ring") { supervisor.ring()["rows_in"] == "5" }

        kill(before["listener"]!, SIGKILL)
        try waitUntil("the listener was restarted") { supervisor.worker("listener").map { $0.pid != before["listener"] } ?? false }
        #expect(occurrences(of: "recovered the existing ring: 5 records kept", in: supervisor.log()) == 1)

        supervisor.signal(SIGINT)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        #expect(access("/dev/shm" + supervisor.segmentName, F_OK) == 0)
        try supervisor.startReady()
        #expect(occurrences(of: "recovered the existing ring: 5 records kept", in: supervisor.log()) == 2)

        supervisor.signal(SIGKILL)
        _ = supervisor.waitForExit()
        try waitUntil("the old listener is gone") { supervisor.workers().isEmpty }
        try supervisor.startReady()
        #expect(occurrences(of: "recovered the existing ring: 5 records kept", in: supervisor.log()) == 3)
    }
}

private func occurrences(of text: String, in log: String) -> Int {
    log.split(separator: text, omittingEmptySubsequences: false).count - 1
}
