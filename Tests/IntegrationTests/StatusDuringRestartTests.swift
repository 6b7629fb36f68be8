import Glibc
import SharedRing
import Testing

/// `linemaster status` run by a monitoring loop while linemaster is restarted on the same data
/// directory: it only reads, so it must never make a `start` fail.
@Suite struct StatusDuringRestarts {
    /// A fast stop keeps the segment, so each start opens the one `status` reads.
    static let config = """
        [[worker]]
        name = "ticker"
        executable = "TESTWORKER"
        flags = ["shared-memory"]
        """

    @Test func everyStartReachesReadyWhileAMonitoringLoopRunsStatus() throws {
        let supervisor = SupervisorProcess(config: Self.config)
        let loop = StatusLoop(dataDirectory: supervisor.dataDirectory)
        defer { loop.stop() }
        for _ in 0..<6 {
            try supervisor.startReady()
            #expect(supervisor.control(["stop", "-D", supervisor.dataDirectory, "--mode", "fast"]).status == 0)
            #expect(supervisor.waitForExit()?.exitCode == 0)
        }
    }

    /// The worst moment of the loop above, held still: a reader with the ring mapped, as
    /// `linemaster status` maps it (`SharedRing.open(access: .readOnly)`), while the next start
    /// looks for processes attached to it. A reader cannot change the ring under a recovery.
    @Test func aReaderWithTheRingMappedDoesNotKeepTheNextStartFromReady() throws {
        let supervisor = SupervisorProcess(config: Self.config)
        try supervisor.startReady()
        let reader = try #require(try SharedRing.open(name: supervisor.segmentName, access: .readOnly))
        #expect(supervisor.control(["stop", "-D", supervisor.dataDirectory, "--mode", "fast"]).status == 0)
        #expect(supervisor.waitForExit()?.exitCode == 0)
        try supervisor.startReady()
        _ = reader
    }

    /// What `status` maps is read-only: any write through it would fault.
    @Test func aReaderMapsTheRingReadOnly() throws {
        let supervisor = SupervisorProcess(config: Self.config)
        try supervisor.startReady()
        let reader = try #require(try SharedRing.open(name: supervisor.segmentName, access: .readOnly))
        let segment = "/dev/shm" + supervisor.segmentName
        let mapping = readFile("/proc/self/maps")?.split(separator: "\n").first { $0.hasSuffix(" " + segment) }
        // /proc/PID/maps: "START-END PERMS OFFSET DEVICE INODE PATH"; "r--s" is shared and read-only.
        #expect(mapping?.split(separator: " ")[1] == "r--s", "\(mapping ?? "not mapped")")
        _ = reader
    }
}

/// `linemaster status -D DIR` every 50 ms from a shell loop, as a monitoring script would run it.
private struct StatusLoop {
    let pid: pid_t

    init(dataDirectory: String) {
        let script = #"while :; do "$0" status -D "$1" >/dev/null 2>&1; sleep 0.05; done"#
        pid = Binaries.spawnProgram("/bin/sh", ["-c", script, Binaries.path("linemaster"), dataDirectory], logPath: "/dev/null")
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
