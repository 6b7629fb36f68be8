import Glibc
import Testing

/// The supervisor binds every `listen` address and passes the sockets to the workers of the
/// definition by systemd's convention; it holds them across worker exits, crash restarts and
/// reloads that keep the address.
@Suite struct ListenSockets {
    static func config(_ addresses: [String], count: Int = 2) -> String {
        """
        [supervisor]
        shutdown_timeout = "1s"
        [[worker]]
        name = "server"
        executable = "TESTWORKER"
        listen = [\(addresses.map { "\"\($0)\"" }.joined(separator: ", "))]
        flags = ["shared-memory"]
        restart = "100ms"
        count = \(count)
        """
    }

    @Test func everyInstanceInheritsTheSameSocketsFromDescriptorThree() throws {
        let port = UDPSender.freshPort()
        let socketPath = "/tmp/linemaster-test-\(port).sock"
        let addresses = ["udp://127.0.0.1:\(port)", "tcp://127.0.0.1:\(port)", "unix://\(socketPath)"]
        let supervisor = SupervisorProcess(config: Self.config(addresses))
        try supervisor.startReady()
        let pids = try supervisor.waitForWorkers(["server 1", "server 2"])
        let held = KernelSockets.held(by: supervisor.pid)
        for pid in pids.values {
            let environment = Self.environment(of: pid)
            #expect(environment["LISTEN_FDS"] == "3")
            #expect(environment["LISTEN_PID"] == String(pid))
            #expect(environment["LISTEN_FDNAMES"].map(Self.decodeNames) == addresses)
            let inherited = KernelSockets.held(by: pid)
            #expect([3, 4, 5].allSatisfy { inherited[$0] != nil }, "\(inherited)")
            #expect(Set([3, 4, 5].compactMap { inherited[$0] }).isSubset(of: Set(held.values)), "the supervisor's own sockets")
        }
        #expect(Set(pids.values.map { KernelSockets.held(by: $0)[3] }).count == 1, "one socket shared by both")
        var info = stat()
        #expect(lstat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        #expect(access(socketPath, F_OK) != 0, "the unix socket's file is removed at exit")
    }

    @Test func aCrashRestartKeepsTheSocketAndWhatIsQueuedInIt() throws {
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(["udp://127.0.0.1:\(port)"], count: 1))
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["server"])
        let socket = KernelSockets.held(by: before["server"]!)[3]
        UDPSender(port: port).send("cpu value=1")
        kill(before["server"]!, SIGKILL)
        try waitUntil("the worker was restarted") { supervisor.worker("server").map { $0.pid != before["server"] } ?? false }
        #expect(KernelSockets.held(by: supervisor.worker("server")!.pid)[3] == socket)
        let sockets = KernelSockets.udp(port: port)
        #expect(sockets.count == 1)
        #expect(sockets.first.map { $0.queuedBytes > 0 } == true, "the datagram waits for a reader")
    }

    @Test func aStartThatCannotBindExitsWithStatusTwoNamingTheAddress() throws {
        let port = UDPSender.freshPort()
        let occupant = try BoundUDPSocket(port: port)
        let supervisor = SupervisorProcess(config: Self.config(["udp://127.0.0.1:\(port)"]))
        supervisor.start()
        #expect(supervisor.waitForExit()?.exitCode == 2)
        #expect(supervisor.log().contains("cannot start: cannot listen on udp://127.0.0.1:\(port): Address already in use"))
        #expect(supervisor.pidFileLines() == nil)
        _ = occupant
    }

    @Test func aReloadThatCannotBindKeepsTheRunningConfiguration() throws {
        let (port, taken) = (UDPSender.freshPort(), UDPSender.freshPort())
        let occupant = try BoundUDPSocket(port: taken)
        let supervisor = SupervisorProcess(config: Self.config(["udp://127.0.0.1:\(port)"], count: 1))
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["server"])
        supervisor.writeConfig(Self.config(["udp://127.0.0.1:\(port)", "udp://127.0.0.1:\(taken)"], count: 1))
        supervisor.signal(SIGHUP)
        try waitUntil("the reload is refused") {
            supervisor.log().contains("cannot listen on udp://127.0.0.1:\(taken): Address already in use")
        }
        #expect(supervisor.log().contains("keeping the current one"))
        #expect(supervisor.worker("server")?.pid == before["server"])
        #expect(KernelSockets.udp(port: port).count == 1)
        _ = occupant
    }

    @Test func aReloadBindsAddedAddressesAndClosesRemovedOnes() throws {
        let (old, new) = (UDPSender.freshPort(), UDPSender.freshPort())
        let supervisor = SupervisorProcess(config: Self.config(["udp://127.0.0.1:\(old)"], count: 1))
        try supervisor.startReady()
        let before = try supervisor.waitForWorkers(["server"])
        supervisor.writeConfig(Self.config(["udp://127.0.0.1:\(new)"], count: 1))
        supervisor.signal(SIGHUP)
        try waitUntil("the changed worker runs with the new socket") {
            guard let worker = supervisor.worker("server"), worker.pid != before["server"] else { return false }
            return Self.environment(of: worker.pid)["LISTEN_FDNAMES"].map(Self.decodeNames) == ["udp://127.0.0.1:\(new)"]
        }
        #expect(KernelSockets.udp(port: new).count == 1)
        try waitUntil("nobody holds the old port") { KernelSockets.udp(port: old).isEmpty }
        #expect((try? BoundUDPSocket(port: old)) != nil)
    }

    @Test func aWorkerGetsOnlyTheDescriptorsItWasGranted() throws {
        // A descriptor the supervisor inherits without close-on-exec, as from a shell's `exec 5>`.
        var leak: [Int32] = [0, 0]
        #expect(pipe(&leak) == 0)
        defer { leak.forEach { close($0) } }
        let port = UDPSender.freshPort()
        let supervisor = SupervisorProcess(config: Self.config(["udp://127.0.0.1:\(port)"], count: 1) + """

            [[worker]]
            name = "plain"
            executable = "TESTWORKER"
            """)
        try supervisor.startReady()
        let pids = try supervisor.waitForWorkers(["server", "plain"])
        let leaked = try #require(KernelSockets.openFiles(of: getpid())[leak[0]])
        #expect(KernelSockets.openFiles(of: supervisor.pid).values.contains(leaked), "the supervisor inherited it")
        // server: its socket, the death pipe, the segment; plain: the death pipe only.
        #expect(Set(KernelSockets.openFiles(of: pids["server"]!).keys) == [0, 1, 2, 3, 4, 5])
        #expect(Set(KernelSockets.openFiles(of: pids["plain"]!).keys) == [0, 1, 2, 3])
        #expect(Self.environment(of: pids["plain"]!)["LISTEN_FDS"] == nil)
    }

    @Test func aReloadThatCannotBindLeavesTheReceiveBuffersAlone() throws {
        let (port, taken) = (UDPSender.freshPort(), UDPSender.freshPort())
        let occupant = try BoundUDPSocket(port: taken)
        let supervisor = SupervisorProcess(config: Self.config(["udp://127.0.0.1:\(port)"], count: 1))
        try supervisor.startReady()
        try supervisor.waitForWorkers(["server"])
        let before = try #require(Self.receiveBuffer(port: port))
        supervisor.writeConfig(Self.config(["udp://127.0.0.1:\(port)", "udp://127.0.0.1:\(taken)"], count: 1)
            .replacingAll("count = 1", with: "count = 1\nreceive_buffer = \"1MiB\""))
        supervisor.signal(SIGHUP)
        try waitUntil("the reload is refused") { supervisor.log().contains("keeping the current one") }
        #expect(Self.receiveBuffer(port: port) == before)
        #expect(before != 2 << 20, "the refused config's 1MiB was never applied")
        _ = occupant
    }

    /// The recipe of the README: linemaster starts as root and binds, the worker drops to nobody.
    @Test(.enabled(if: geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0, "needs root and setpriv"))
    func aWorkerThatDropsPrivilegesServesAPortBelow1024() throws {
        let port = UInt16.random(in: 600...1000)
        let supervisor = SupervisorProcess(config: """
            [[worker]]
            name = "listener"
            executable = "/usr/bin/setpriv"
            args = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "\(Binaries.path("linemaster-listener"))"]
            listen = ["udp://127.0.0.1:\(port)"]
            flags = ["shared-memory"]
            """)
        try supervisor.startReady()
        try supervisor.waitForListeners(["listener"])
        let listener = try #require(supervisor.worker("listener"))
        let uid = (readFile("/proc/\(listener.pid)/status") ?? "").split(separator: "\n").first { $0.hasPrefix("Uid:") }
        #expect(uid?.split(separator: "\t").dropFirst().allSatisfy { $0 == "65534" } == true, "\(uid ?? "")")
        UDPSender(port: port).send("cpu value=1")
        try waitUntil("the row is in the ring") { supervisor.ring()["rows_in"] == "1" }
    }

    /// The receive buffer of the UDP socket on 127.0.0.1:`port` as the kernel accounts it (twice
    /// what was asked for), from `ss -m`: /proc/net/udp shows no buffer size.
    static func receiveBuffer(port: UInt16) -> Int? {
        let output = Binaries.runProgram("/usr/bin/ss", ["-uamnH", "sport = :\(port)"]).output
        guard let start = output.firstRange(of: "skmem:(")?.upperBound else { return nil }
        let fields = output[start...].prefix { $0 != ")" }.split(separator: ",")
        return fields.first { $0.hasPrefix("rb") }.flatMap { Int($0.dropFirst(2)) }
    }

    static func environment(of pid: pid_t) -> [String: String] {
        let entries = (readFile("/proc/\(pid)/environ") ?? "").split(separator: "\0")
        return Dictionary(entries.compactMap { entry in
            entry.firstIndex(of: "=").map { (String(entry[..<$0]), String(entry[entry.index(after: $0)...])) }
        }, uniquingKeysWith: { $1 })
    }

    static func decodeNames(_ text: String) -> [String] {
        text.split(separator: ":").map { String($0).replacingAll("%3A", with: ":").replacingAll("%25", with: "%") }
    }
}

/// A UDP socket bound to 127.0.0.1:`port` by the test, to make the port unavailable.
final class BoundUDPSocket {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let rc = UDPSender.withLoopback(port) { [fd] in bind(fd, $0, $1) }
        guard rc == 0 else {
            close(fd)
            throw BindFailed(port: port, reason: String(cString: strerror(errno)))
        }
    }

    deinit { close(fd) }
}

struct BindFailed: Error {
    let port: UInt16
    let reason: String
}
