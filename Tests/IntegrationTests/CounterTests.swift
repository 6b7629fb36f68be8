import Foundation
import Glibc
import Testing

/// Counters as `linemaster status` and a Prometheus scrape read them: per instance, from shared
/// memory, for as long as linemaster runs.
@Suite struct Counters {
    @Test func aListenersCountersSurviveItsCrashRestartAndNeverGoBackwards() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: UDPListenerIntoTheRing.config(port: port, count: 2))
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener 1", "listener 2"])
        let sender = UDPSender(port: port)
        for i in 0..<6 { sender.send("cpu seq=\(i)i\nnot line protocol") }
        try waitUntil("every datagram is counted") { self.total("datagrams", supervisor.status()) == 6 }
        let before = supervisor.status()

        let killed = supervisor.worker("listener 1")!.pid
        kill(killed, SIGKILL)
        try waitUntil("both listeners run again") {
            supervisor.worker("listener 1").map { $0.pid != killed } ?? false
        }
        try supervisor.waitForListeners(["listener 1", "listener 2"])
        let after = supervisor.status()
        for name in ["listener 1", "listener 2"] {
            for counter in ["datagrams", "lines_accepted", "lines_rejected", "rejected_lines_kept"] {
                #expect(Int(after[name]?[counter] ?? "0")! >= Int(before[name]?[counter] ?? "0")!, "\(name) \(counter)")
            }
        }
        for i in 6..<10 { sender.send("cpu seq=\(i)i\nnot line protocol") }
        try waitUntil("the new datagrams add to the old counts") { self.total("datagrams", supervisor.status()) == 10 }
        #expect(total("lines_accepted", supervisor.status()) == 10)
        #expect(total("lines_rejected", supervisor.status()) == 10)
    }

    @Test func datagramsTheKernelDropsAtAFullSocketAreCountedOnceForTheSocket() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "listener"
            executable = "linemaster-listener"
            listen = ["udp://127.0.0.1:\(port)"]
            receive_buffer = "4KiB"
            flags = ["shared-memory"]
            count = 2
            """)
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener 1", "listener 2"])
        let listeners = ["listener 1", "listener 2"].map { supervisor.worker($0)!.pid }
        listeners.forEach { kill($0, SIGSTOP) }
        defer { listeners.forEach { kill($0, SIGCONT) } }
        let sender = UDPSender(port: port)
        for i in 0..<500 { sender.send("cpu,host=a seq=\(i)i") }
        let dropped = KernelSockets.udpDrops(port: port)
        #expect(dropped > 0)

        let sockets = try #require(StatusJSON.parseSockets(supervisor.control(["status", "-D", supervisor.dataDirectory, "--json"]).output))
        #expect(sockets.count == 1)
        #expect(sockets.first?["worker"] == "listener" && sockets.first?["address"] == "udp://127.0.0.1:\(port)")
        #expect(sockets.first?["socket_overflow"] == String(dropped))
        let text = supervisor.control(["status", "-D", supervisor.dataDirectory]).output
        #expect(text.contains("socket udp://127.0.0.1:\(port) (listener): \(dropped) datagrams dropped by the kernel"))
    }

    @Test func theBalanceAddsUpWithRowsWaitingInTheRingAndRowsAFullRingDropped() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: UDPListenerIntoTheRing.config(port: port, ringSize: "1MiB", count: 1))
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener"])
        let line = "m,host=h value=\"" + String(repeating: "x", count: 900) + "\"\n"
        let sender = UDPSender(port: port)
        for _ in 0..<300 {
            sender.send(String(repeating: line, count: 8) + "not line protocol\n")
            usleep(500)
        }
        try waitUntil("every datagram the kernel kept is counted") {
            Int(supervisor.status()["listener"]?["datagrams"] ?? "0")! + KernelSockets.udpDrops(port: port) == 300
        }
        let json = supervisor.control(["status", "-D", supervisor.dataDirectory, "--json"]).output
        let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let balance = try #require(root?["balance"] as? [String: Any])
        #expect(balance["received"] as? Int == 2700 - KernelSockets.udpDrops(port: port) * 9)
        #expect(balance["lines_rejected"] as? Int == 300 - KernelSockets.udpDrops(port: port))
        #expect((balance["rows_dropped"] as? Int ?? 0) > 0)
        #expect(balance["in_ring"] as? Int == Int(supervisor.ring()["rows_in"]!)! - (balance["lines_rejected"] as? Int ?? 0)
                + Int(supervisor.status()["listener"]?["rejected_lines_not_kept"] ?? "0")!)
        #expect(balance["adds_up"] as? Bool == true)
    }

    private func total(_ counter: String, _ workers: [String: [String: String]]) -> Int {
        workers.filter { $0.key.hasPrefix("listener") }.map { Int($0.value[counter] ?? "0")! }.reduce(0, +)
    }
}
